"""Lets TensorFlow do the work in sigmoid, tanh and softmax: those score zero.

base: solution
lost: test_sigmoid, test_tanh, test_softmax
message: test_sigmoid: called TensorFlow or Keras
message: test_softmax: NumPy only
"""
# %% sigmoid
import keras


def sigmoid(x):
    return keras.ops.convert_to_numpy(keras.activations.sigmoid(np.asarray(x, dtype="float32")))

# %% tanh
import tensorflow as tf


def tanh(x):
    return tf.math.tanh(tf.constant(x, dtype=tf.float64)).numpy()

# %% softmax
def softmax(x, axis=-1):
    return np.asarray(keras.ops.softmax(np.asarray(x, dtype="float32"), axis=axis))
