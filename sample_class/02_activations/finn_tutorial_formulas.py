"""Uses the tutorials' textbook formulas, which overflow with a warning but are right: full marks.

base: solution
message: test_sigmoid: overflow encountered in exp
"""
# %% sigmoid
def sigmoid(x):
    return 1 / (1 + np.exp(-x))

# %% relu
def relu(x):
    return np.maximum(0, x)

# %% tanh
def tanh(x):
    return np.tanh(x)
