"""One module per chapter; importing a module registers its exercises."""
