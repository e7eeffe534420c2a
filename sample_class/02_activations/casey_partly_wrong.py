"""Mostly right; a naive softmax, always-approximate GELU and ReLU's derivative at 0 are wrong.

base: solution
lost: test_softmax, test_gelu, test_relu_derivative
message: test_softmax: Subtract the maximum
message: test_gelu: swapped
message: test_relu_derivative: at x = 0
"""
# %% softmax
def softmax(x, axis=-1):
    exps = np.exp(x)
    return exps / np.sum(exps, axis=axis, keepdims=True)

# %% gelu
def gelu(x, approximate=False):
    x = np.asarray(x, dtype=float)
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))

# %% relu_derivative
def relu_derivative(x):
    return np.where(np.asarray(x) >= 0, 1.0, 0.0)
