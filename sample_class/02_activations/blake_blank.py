"""Handed in the notebook untouched.

base: blank
lost: all
message: test_sigmoid: not implemented yet
"""
