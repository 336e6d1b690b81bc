#!/usr/bin/env python3
"""Keras reference values for the normalization, convolution, pooling, reshaping,
regularization, activation and attention layers, and for weight regularizers and
constraints (the SwiftKeras tests in Tests/SwiftKerasTests/LayersMore*).

Usage:
    python layers_more.py [OUTPUT_DIR]

generate_fixtures.py calls `write_all(out_dir)` after writing its own files. Writes:

    layers_more.json         single layers: forward pass (inference or training), the
                             gradients of sum(output * upstream) with respect to the
                             inputs and the trainable weights, and the weights after the
                             call (BatchNormalization's moving statistics)
    layers_more_models.json  sections: "steps" (train_on_batch steps of small models:
                             losses and every weight after each step, moving statistics,
                             regularizers and constraints included) and "summaries"
                             (model.summary() text and parameter counts)
    layers_more_configs.json Keras's serialized config of every layer above (as in
                             saving/layer_configs.json), for the config round trips

Same conventions as generate_fixtures.py: arrays as {"shape", "data"}, every case seeded
from its own name, deterministic output.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate_fixtures import (  # noqa: E402
    GLOBAL_SEED, arr, keras, layers, normal, np, rng_for, summary_text, tf, write_json)


# ---------------------------------------------------------------------------
# Single layers
# ---------------------------------------------------------------------------

def random_weights(rng, layer):
    """normal * 0.5 for every weight; variances and standard deviations uniform in
    [0.5, 1.5] so that they stay positive."""
    values = []
    for w in layer.weights:
        if "variance" in w.name or "stddev" in w.name:
            values.append(rng.uniform(0.5, 1.5, size=tuple(w.shape)).astype(np.float32))
        else:
            values.append(normal(rng, tuple(w.shape), 0.5))
    return values


def layer_case(name, layer_class, config, input_shapes, training=False, mask=None,
               call_kwargs=None, trainable=True, weights="random", input_scale=1.0,
               int_inputs=None, steps=1, transform=None):
    """One layer called `steps` times on fixed inputs (several inputs: a list is passed).

    The scalar whose gradients are recorded is sum(output * upstream) over the first call;
    with return_attention_scores the scores join it with their own upstream. Records the
    weights before (set from the case's generator) and after the calls, so updates made
    during a training call (moving statistics) are compared too.
    """
    rng = rng_for("layers_more/" + name)
    multi = isinstance(input_shapes, list)
    shapes = input_shapes if multi else [input_shapes]
    xs = []
    for i, shape in enumerate(shapes):
        if int_inputs and i in int_inputs:
            xs.append(rng.integers(0, int_inputs[i], size=shape).astype(np.float32))
        else:
            xs.append(normal(rng, shape, input_scale))
    if transform is not None:
        xs[0] = transform(xs[0])
    layer = getattr(layers, layer_class)(**config)
    x_ts = [tf.constant(x) for x in xs]
    kwargs = dict(call_kwargs or {})
    # A layer whose call takes no mask ignores the one a model hands it (GlobalMaxPooling1D):
    # the case keeps the mask, the call goes without it.
    if mask is not None and layer_accepts_mask(layer_class, config):
        kwargs["mask"] = tf.constant(mask)
    call_input = x_ts if multi else x_ts[0]
    layer(call_input, **kwargs)  # builds the weights
    if weights == "random":
        initial = random_weights(rng, layer)
        layer.set_weights(initial)
    else:
        initial = [w.numpy() for w in layer.weights]
    layer.trainable = trainable

    with tf.GradientTape(persistent=True) as tape:
        for x_t in x_ts:
            tape.watch(x_t)
        result = layer(call_input, training=training, **kwargs)
        if isinstance(result, (tuple, list)):
            y, extra = result[0], list(result[1:])
        else:
            y, extra = result, []
        upstream = normal(rng, tuple(y.shape))
        objective = tf.reduce_sum(y * tf.constant(upstream))
        extra_upstream = [normal(rng, tuple(e.shape)) for e in extra]
        for e, u in zip(extra, extra_upstream):
            objective += tf.reduce_sum(e * tf.constant(u))
    differentiable = [i for i in range(len(xs)) if not (int_inputs and i in int_inputs)]
    grads_x = tape.gradient(objective, [x_ts[i] for i in differentiable])
    grads_w = tape.gradient(objective, list(layer.trainable_weights))
    for _ in range(steps - 1):
        layer(call_input, training=training, **kwargs)
    case = {
        "name": name,
        "layer": layer_class,
        "config": config,
        "inputs": [arr(x) for x in xs],
        "training": training,
        "trainable": trainable,
    }
    if mask is not None:
        case["mask"] = arr(mask)
    if call_kwargs:
        case["call"] = call_kwargs
    case.update({
        "weight_names": [w.name for w in layer.weights],
        "weights": [arr(w) for w in initial],
        "output": arr(y),
        "extra_outputs": [arr(e) for e in extra],
        "upstream": arr(upstream),
        "extra_upstream": [arr(u) for u in extra_upstream],
        "grad_inputs": [None if g is None else arr(g) for g in grads_x],
        "differentiable_inputs": differentiable,
        "trainable_weight_names": [w.name for w in layer.trainable_weights],
        "grad_weights": [arr(g) if g is not None else arr(np.zeros(w.shape)) for g, w in
                         zip(grads_w, layer.trainable_weights)],
        "weights_after": [arr(w.numpy()) for w in layer.weights],
        "steps": steps,
    })
    output_mask = layer.compute_mask(call_input, kwargs.get("mask"))
    if output_mask is not None and not multi:
        case["output_mask"] = arr(output_mask)
    if getattr(layer, "losses", None):
        case["layer_losses"] = [float(l.numpy()) for l in layer.losses]
    return case


def layer_accepts_mask(layer_class, config):
    import inspect
    layer = getattr(layers, layer_class)(**config)
    return "mask" in inspect.signature(layer.call).parameters


SEQ_MASK = np.array([[1, 1, 1, 1, 1],
                     [1, 1, 1, 0, 0],
                     [1, 0, 0, 0, 0],
                     [0, 0, 1, 1, 1]], dtype=bool)


def normalization_cases(add):
    add("bn_inference_2d", "BatchNormalization", {}, (4, 3))
    add("bn_inference_4d", "BatchNormalization", {"epsilon": 0.01}, (2, 3, 4, 5))
    add("bn_training_2d", "BatchNormalization", {}, (6, 3), training=True)
    add("bn_training_4d", "BatchNormalization", {"momentum": 0.9}, (3, 4, 3, 5), training=True, input_scale=2.0)
    add("bn_training_3_steps", "BatchNormalization", {"momentum": 0.8}, (4, 3, 2), training=True, steps=3)
    add("bn_training_axis1", "BatchNormalization", {"axis": 1}, (3, 4, 2, 3), training=True)
    add("bn_inference_axis1", "BatchNormalization", {"axis": 1}, (3, 4, 2, 3))
    add("bn_training_no_center_no_scale", "BatchNormalization", {"center": False, "scale": False}, (5, 4), training=True)
    add("bn_training_no_scale", "BatchNormalization", {"scale": False}, (5, 4), training=True)
    add("bn_training_masked", "BatchNormalization", {}, (4, 5, 3), training=True, mask=SEQ_MASK)
    add("bn_frozen_training", "BatchNormalization", {}, (5, 3), training=True, trainable=False)
    add("bn_renorm_training", "BatchNormalization",
        {"renorm": True, "renorm_clipping": {"rmax": 1.5, "rmin": 0.7, "dmax": 0.4}, "renorm_momentum": 0.9},
        (6, 4), training=True, steps=2, input_scale=2.0)
    add("bn_renorm_inference", "BatchNormalization", {"renorm": True}, (6, 4))
    add("ln_last_axis", "LayerNormalization", {}, (3, 5))
    add("ln_3d", "LayerNormalization", {"epsilon": 1e-6}, (2, 3, 4), input_scale=3.0)
    add("ln_two_axes", "LayerNormalization", {"axis": [-2, -1]}, (2, 3, 4))
    add("ln_middle_axis", "LayerNormalization", {"axis": 1}, (2, 3, 4))
    add("ln_no_center", "LayerNormalization", {"center": False}, (3, 5))
    add("ln_no_scale_no_center", "LayerNormalization", {"center": False, "scale": False}, (3, 5))


ACTIVATIONS = ["elu", "selu", "celu", "gelu", "silu", "swish", "softplus", "softsign", "exponential", "relu6",
               "leaky_relu", "log_softmax", "log_sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
               "mish", "tanh_shrink", "soft_shrink", "hard_shrink", "sparse_plus", "squareplus"]


def activation_cases(add):
    for name in ACTIVATIONS:
        add(f"activation_{name}", "Activation", {"activation": name}, (3, 6), input_scale=2.5)
    add("dense_gelu", "Dense", {"units": 3, "activation": "gelu"}, (2, 4))
    add("leaky_relu_default", "LeakyReLU", {}, (3, 5), input_scale=2.0)
    add("leaky_relu_slope", "LeakyReLU", {"negative_slope": 0.05}, (3, 5))
    add("elu_alpha", "ELU", {"alpha": 0.5}, (3, 5), input_scale=2.0)
    add("relu_layer_default", "ReLU", {}, (3, 5))
    add("relu_layer_options", "ReLU", {"max_value": 1.5, "negative_slope": 0.1, "threshold": 0.2}, (4, 5), input_scale=2.0)
    add("relu_layer_max6", "ReLU", {"max_value": 6.0}, (3, 5), input_scale=5.0)
    add("prelu", "PReLU", {}, (3, 4, 5))
    add("prelu_shared_axes", "PReLU", {"shared_axes": [1, 2]}, (2, 3, 4, 3))
    add("softmax_last_axis", "Softmax", {}, (3, 5))
    add("softmax_axis1", "Softmax", {"axis": 1}, (2, 3, 4))
    add("softmax_two_axes", "Softmax", {"axis": [1, 2]}, (2, 3, 4))
    add("softmax_masked", "Softmax", {}, (4, 5), mask=SEQ_MASK)


def regularization_cases(add):
    add("activity_regularization", "ActivityRegularization", {"l1": 0.03, "l2": 0.02}, (3, 4))
    add("dense_activity_regularizer", "Dense",
        {"units": 3, "activity_regularizer": {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.05}}}, (4, 5))


def convolution_cases(add):
    # Conv1D: padding valid / same / causal, strides, dilation.
    add("conv1d_valid", "Conv1D", {"filters": 4, "kernel_size": 3}, (2, 9, 3))
    add("conv1d_same", "Conv1D", {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 9, 3))
    add("conv1d_causal", "Conv1D", {"filters": 3, "kernel_size": 3, "padding": "causal"}, (2, 8, 2))
    add("conv1d_strides2_same", "Conv1D", {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 9, 2))
    add("conv1d_strides3_valid", "Conv1D", {"filters": 3, "kernel_size": 2, "strides": 3}, (2, 10, 2))
    add("conv1d_dilation2_valid", "Conv1D", {"filters": 3, "kernel_size": 3, "dilation_rate": 2}, (2, 10, 2))
    add("conv1d_dilation2_same", "Conv1D", {"filters": 3, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 9, 2))
    add("conv1d_dilation3_causal", "Conv1D", {"filters": 2, "kernel_size": 2, "dilation_rate": 3, "padding": "causal"}, (2, 9, 3))
    add("conv1d_relu_no_bias", "Conv1D", {"filters": 5, "kernel_size": 5, "activation": "relu", "use_bias": False}, (3, 12, 4))
    add("conv1d_kernel1", "Conv1D", {"filters": 3, "kernel_size": 1, "activation": "tanh"}, (2, 5, 4))
    # Conv2D with dilation.
    add("conv2d_dilation2_valid", "Conv2D", {"filters": 3, "kernel_size": [3, 3], "dilation_rate": [2, 2]}, (2, 8, 7, 2))
    add("conv2d_dilation2_same", "Conv2D", {"filters": 3, "kernel_size": [3, 3], "dilation_rate": 2, "padding": "same"}, (2, 7, 7, 2))
    add("conv2d_dilation2x1_same_relu", "Conv2D",
        {"filters": 4, "kernel_size": [2, 3], "dilation_rate": [2, 1], "padding": "same", "activation": "relu"}, (2, 6, 5, 3))
    # Conv2DTranspose.
    add("conv2d_transpose_valid", "Conv2DTranspose", {"filters": 3, "kernel_size": 3}, (2, 4, 5, 2))
    add("conv2d_transpose_same", "Conv2DTranspose", {"filters": 3, "kernel_size": 3, "padding": "same"}, (2, 4, 5, 2))
    add("conv2d_transpose_s2_valid", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2}, (2, 3, 4, 3))
    add("conv2d_transpose_s2_same", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 3, 4, 3))
    add("conv2d_transpose_s2_k4_same", "Conv2DTranspose", {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 3, 3, 2))
    add("conv2d_transpose_output_padding", "Conv2DTranspose",
        {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1}, (2, 3, 3, 2))
    add("conv2d_transpose_s2x1_relu_no_bias", "Conv2DTranspose",
        {"filters": 3, "kernel_size": [3, 2], "strides": [2, 1], "padding": "same", "activation": "relu", "use_bias": False},
        (2, 3, 4, 2))
    add("conv2d_transpose_dilation2", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "dilation_rate": 2}, (2, 4, 4, 2))
    # DepthwiseConv2D and SeparableConv2D.
    add("depthwise_valid", "DepthwiseConv2D", {"kernel_size": 3}, (2, 6, 5, 3))
    add("depthwise_same_multiplier2", "DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"}, (2, 5, 5, 2))
    add("depthwise_strides2", "DepthwiseConv2D", {"kernel_size": [3, 2], "strides": 2, "padding": "same"}, (2, 7, 6, 3))
    add("depthwise_dilation2_relu", "DepthwiseConv2D",
        {"kernel_size": 3, "dilation_rate": 2, "activation": "relu", "use_bias": False}, (2, 7, 7, 2))
    add("separable_same", "SeparableConv2D", {"filters": 4, "kernel_size": 3, "padding": "same"}, (2, 5, 5, 3))
    add("separable_multiplier2_strides2", "SeparableConv2D",
        {"filters": 3, "kernel_size": 3, "depth_multiplier": 2, "strides": 2}, (2, 7, 7, 2))
    add("separable_dilation2_relu_no_bias", "SeparableConv2D",
        {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "activation": "relu", "use_bias": False}, (2, 6, 6, 3))


def pooling_cases(add):
    add("maxpool1d_default", "MaxPooling1D", {}, (2, 7, 3))
    add("maxpool1d_3_s2_same", "MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3))
    add("maxpool1d_2_s1", "MaxPooling1D", {"pool_size": 2, "strides": 1}, (2, 6, 2))
    add("avgpool1d_2", "AveragePooling1D", {"pool_size": 2}, (2, 7, 3))
    add("avgpool1d_3_s2_same", "AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 8, 3))
    add("global_max_pool1d", "GlobalMaxPooling1D", {}, (3, 5, 4))
    add("global_max_pool1d_keepdims", "GlobalMaxPooling1D", {"keepdims": True}, (3, 5, 4))
    add("global_max_pool1d_mask_ignored", "GlobalMaxPooling1D", {}, (4, 5, 3), mask=SEQ_MASK)
    add("global_avg_pool1d", "GlobalAveragePooling1D", {}, (3, 5, 4))
    add("global_avg_pool1d_masked", "GlobalAveragePooling1D", {}, (4, 5, 3), mask=SEQ_MASK)
    add("global_avg_pool1d_keepdims", "GlobalAveragePooling1D", {"keepdims": True}, (3, 5, 4))
    add("global_max_pool2d", "GlobalMaxPooling2D", {}, (2, 3, 4, 5))
    add("global_max_pool2d_keepdims", "GlobalMaxPooling2D", {"keepdims": True}, (2, 3, 4, 5))
    add("global_avg_pool2d", "GlobalAveragePooling2D", {}, (2, 3, 4, 5))
    add("global_avg_pool2d_keepdims", "GlobalAveragePooling2D", {"keepdims": True}, (2, 3, 4, 5))


def reshaping_cases(add):
    add("zero_padding2d_default", "ZeroPadding2D", {}, (2, 3, 4, 2))
    add("zero_padding2d_symmetric", "ZeroPadding2D", {"padding": [2, 1]}, (2, 3, 4, 2))
    add("zero_padding2d_explicit", "ZeroPadding2D", {"padding": [[1, 2], [0, 3]]}, (2, 3, 4, 2))
    add("cropping2d_symmetric", "Cropping2D", {"cropping": [1, 2]}, (2, 5, 6, 2))
    add("cropping2d_explicit", "Cropping2D", {"cropping": [[0, 2], [1, 0]]}, (2, 5, 4, 3))
    add("up_sampling2d_nearest", "UpSampling2D", {}, (2, 3, 2, 2))
    add("up_sampling2d_nearest_2x3", "UpSampling2D", {"size": [2, 3]}, (2, 2, 3, 2))
    add("up_sampling2d_bilinear", "UpSampling2D", {"size": [2, 2], "interpolation": "bilinear"}, (2, 3, 4, 2))
    add("up_sampling2d_bilinear_3x2", "UpSampling2D", {"size": [3, 2], "interpolation": "bilinear"}, (2, 3, 3, 2))
    add("zero_padding1d", "ZeroPadding1D", {"padding": [1, 2]}, (2, 4, 3))
    add("cropping1d", "Cropping1D", {"cropping": [2, 1]}, (2, 6, 3))
    add("up_sampling1d", "UpSampling1D", {"size": 3}, (2, 3, 2))


def noise_cases(add):
    # In inference these are the identity; their training behaviour is random (tested in Swift).
    add("spatial_dropout1d_inference", "SpatialDropout1D", {"rate": 0.5}, (2, 4, 3))
    add("spatial_dropout2d_inference", "SpatialDropout2D", {"rate": 0.5}, (2, 3, 3, 2))
    add("gaussian_noise_inference", "GaussianNoise", {"stddev": 0.3}, (3, 4))
    add("masking_default", "Masking", {},
        (4, 5, 3), transform=lambda x: x * SEQ_MASK[:, :, None])
    add("masking_value", "Masking", {"mask_value": 1.0}, (4, 5, 3),
        transform=lambda x: np.where(SEQ_MASK[:, :, None], x, 1.0).astype(np.float32))


def make_layer_cases():
    cases = []

    def add(*args, **kwargs):
        cases.append(layer_case(*args, **kwargs))

    normalization_cases(add)
    activation_cases(add)
    regularization_cases(add)
    convolution_cases(add)
    pooling_cases(add)
    reshaping_cases(add)
    noise_cases(add)
    return cases


# ---------------------------------------------------------------------------
# Training steps and summaries
# ---------------------------------------------------------------------------

def weights_of(model):
    return [arr(w.numpy()) for w in model.weights]


def step_case(name, build, x_shape, y_kind, loss, optimizer, steps=3, x_int=None):
    """`steps` train_on_batch steps: the losses and every weight (in model.weights order)
    after each step."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(GLOBAL_SEED)
    rng = rng_for("layers_more_steps/" + name)
    model = build()
    if x_int:
        x = rng.integers(0, x_int, size=x_shape).astype(np.float32)
    else:
        x = normal(rng, x_shape)
    out_shape = tuple(model(x).shape)
    if y_kind == "sparse":
        y = rng.integers(0, out_shape[-1], size=(x_shape[0],)).astype(np.float32)
    elif y_kind == "binary":
        y = rng.integers(0, 2, size=out_shape).astype(np.float32)
    else:
        y = normal(rng, out_shape)
    initial = []
    for w in model.weights:
        if "variance" in w.name or "stddev" in w.name:
            initial.append(rng.uniform(0.5, 1.5, size=tuple(w.shape)).astype(np.float32))
        else:
            initial.append(normal(rng, tuple(w.shape), 0.3))
    for w, v in zip(model.weights, initial):
        w.assign(v)
    model.compile(loss=loss, optimizer=optimizer)
    losses, after = [], []
    for _ in range(steps):
        losses.append(float(model.train_on_batch(x, y)))
        after.append(weights_of(model))
    evaluated = model.evaluate(x, y, verbose=0)
    return {
        "name": name,
        "x": arr(x),
        "y": arr(y),
        "weight_names": [w.path for w in model.weights],
        "weights_initial": [arr(v) for v in initial],
        "losses": losses,
        "weights_after": after,
        "evaluate_loss": float(evaluated if np.isscalar(evaluated) else evaluated[0]),
        "predict": arr(model.predict(x, verbose=0)),
    }


def bn_cnn():
    return keras.Sequential([
        keras.Input(shape=(6, 6, 2)),
        layers.Conv2D(3, (3, 3), padding="same", use_bias=False),
        layers.BatchNormalization(momentum=0.9),
        layers.Activation("relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(5),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dense(4, activation="softmax"),
    ])


R, C = keras.regularizers, keras.constraints


def regularized_mlp():
    return keras.Sequential([
        keras.Input(shape=(5,)),
        layers.Dense(4, activation="relu", kernel_regularizer=R.L2(0.05), bias_regularizer=R.L1(0.02),
                     activity_regularizer=R.L1L2(l1=0.01, l2=0.02)),
        layers.ActivityRegularization(l1=0.03, l2=0.01),
        layers.Dense(4, activation="tanh", kernel_regularizer=R.OrthogonalRegularizer(factor=0.1, mode="columns"),
                     kernel_constraint=C.UnitNorm(axis=0)),
        layers.Dense(3, activation="softmax", kernel_regularizer="l1", kernel_constraint=C.MaxNorm(0.8),
                     bias_constraint="non_neg"),
    ])


def regularized_cnn():
    return keras.Sequential([
        keras.Input(shape=(5, 5, 2)),
        layers.Conv2D(3, (3, 3), kernel_regularizer=R.L1L2(l1=0.01, l2=0.01),
                      kernel_constraint=C.MaxNorm(1.0, axis=[0, 1, 2]), activity_regularizer=R.L2(0.01)),
        layers.BatchNormalization(gamma_regularizer=R.L2(0.1), beta_constraint=C.MinMaxNorm(0.1, 0.5, rate=0.5)),
        layers.Flatten(),
        layers.Dense(4, activation="softmax", kernel_regularizer=R.OrthogonalRegularizer(factor=0.05),
                     bias_regularizer="l2"),
    ])


def regularized_embedding():
    return keras.Sequential([
        keras.Input(shape=(6,)),
        layers.Embedding(20, 4, embeddings_regularizer=R.L2(0.01), embeddings_constraint=C.UnitNorm(axis=1)),
        layers.Flatten(),
        layers.Dense(1, activation="sigmoid"),
    ])


def make_steps():
    return [
        step_case("bn_cnn_sgd", bn_cnn, (8, 6, 6, 2), "sparse", "sparse_categorical_crossentropy",
                  keras.optimizers.SGD(learning_rate=0.1)),
        step_case("bn_cnn_adam", bn_cnn, (8, 6, 6, 2), "sparse", "sparse_categorical_crossentropy",
                  keras.optimizers.Adam(learning_rate=0.01)),
        step_case("regularized_mlp", regularized_mlp, (6, 5), "sparse", "sparse_categorical_crossentropy",
                  keras.optimizers.SGD(learning_rate=0.1)),
        step_case("regularized_cnn", regularized_cnn, (6, 5, 5, 2), "sparse", "sparse_categorical_crossentropy",
                  keras.optimizers.Adam(learning_rate=0.02)),
        step_case("regularized_embedding", regularized_embedding, (8, 6), "binary", "binary_crossentropy",
                  keras.optimizers.SGD(learning_rate=0.5), x_int=20),
    ]


def summarize_model(build):
    keras.backend.clear_session()
    model = build()
    count = lambda ws: int(sum(np.prod(w.shape) for w in ws))  # noqa: E731
    return {
        "text": summary_text(model, 80),
        "total": int(model.count_params()),
        "trainable": count(model.trainable_weights),
        "non_trainable": count(model.non_trainable_weights),
    }


def make_summaries():
    return {
        "bn_cnn": summarize_model(bn_cnn),
    }


# ---------------------------------------------------------------------------
# Configs
# ---------------------------------------------------------------------------

def serialized(layer):
    import saving
    return saving.strip_sharing(keras.saving.serialize_keras_object(layer))


def make_configs(cases):
    """Keras's serialized config of every layer case (built on the case's first input) and
    of every layer of the step models, so the tests rebuild each through SwiftKeras's
    registry and check that getConfig() gives Keras's config back, key for key."""
    configs = {}
    for case in cases:
        shapes = [tuple(x["shape"][1:]) for x in case["inputs"]]
        layer = getattr(layers, case["layer"])(**case["config"])
        inputs = [keras.Input(shape=shape) for shape in shapes]
        layer(inputs if len(inputs) > 1 else inputs[0])
        configs[f"layers_more.json/{case['name']}"] = serialized(layer)
    for name, build in [("bn_cnn", bn_cnn), ("regularized_mlp", regularized_mlp), ("regularized_cnn", regularized_cnn),
                        ("regularized_embedding", regularized_embedding)]:
        keras.backend.clear_session()
        for i, layer in enumerate(build().layers):
            configs[f"layers_more_models.json/{name}/{i}"] = serialized(layer)
    return dict(sorted(configs.items()))


def write_all(out_dir):
    keras.utils.set_random_seed(GLOBAL_SEED)
    cases = make_layer_cases()
    write_json(out_dir, "layers_more.json", cases)
    write_json(out_dir, "layers_more_models.json",
               {"steps": make_steps(), "summaries": make_summaries()}, sections=True)
    write_json(out_dir, "layers_more_configs.json", make_configs(cases))


if __name__ == "__main__":
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    target = sys.argv[1] if len(sys.argv) > 1 else os.path.join(repo_root, "Tests", "SwiftKerasTests", "Fixtures")
    os.makedirs(target, exist_ok=True)
    write_all(target)
