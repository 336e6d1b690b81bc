#!/usr/bin/env python3
"""Keras reference values for MultiHeadAttention, Attention and AdditiveAttention (the
SwiftKeras tests in Tests/SwiftKerasTests/AttentionTests.swift).

Usage:
    python attention.py [OUTPUT_DIR]

generate_fixtures.py calls `write_all(out_dir)` after writing its own files.

Writes into OUTPUT_DIR (default Tests/SwiftKerasTests/Fixtures):

    attention.json      sections: "layers" (one layer called on fixed inputs with fixed
                        weights: the output, the attention scores, and the gradients of
                        sum(output * upstream) + sum(scores * scores_upstream) with respect
                        to the inputs and the weights; with the inputs' Keras masks, an
                        attention mask, the causal mask), "models" (functional models:
                        predictions, summary() text and parameter counts; the Transformer
                        text-classification tutorial's model among them) and "configs"
                        (each layer's serialized config)
    attention/*.keras   models saved by Keras, with their predictions in "models"

Same conventions as generate_fixtures.py: arrays as {"shape", "data"}, every case seeded
from its own name, deterministic output.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from generate_fixtures import (  # noqa: E402
    arr, keras, layers, normal, np, rng_for, summary_text, tf, write_json)
from keras.src import backend  # noqa: E402


def random_weights(rng, layer):
    return [normal(rng, tuple(w.shape), 0.5) for w in layer.weights]


def sequence_mask(rng, batch, steps):
    """A (batch, steps) 0/1 mask of padded tails: every sample keeps at least one step."""
    mask = np.ones((batch, steps), dtype=np.float32)
    for b in range(batch):
        kept = int(rng.integers(1, steps + 1))
        mask[b, kept:] = 0
    return mask


def attention_case(name, layer_class, config, shapes, masks=None, attention_mask=False,
                   call=None, training=False):
    """One attention layer called on `shapes` = [query, value] or [query, value, key].

    masks: which inputs carry a Keras mask ("query", "value", "key"), as an Embedding with
    mask_zero would give them; attention_mask: an explicit (batch, T, S) mask (MHA only).
    """
    rng = rng_for("attention/" + name)
    xs = [normal(rng, s) for s in shapes]
    roles = ["query", "value", "key"][:len(shapes)]
    mask_values = {}
    for role in masks or []:
        shape = shapes[roles.index(role)]
        mask_values[role] = sequence_mask(rng, shape[0], shape[1])
    attention_mask_value = None
    if attention_mask:
        t, s = shapes[0][1], shapes[1][1]
        attention_mask_value = (rng.uniform(size=(shapes[0][0], t, s)) > 0.3).astype(np.float32)
        attention_mask_value[:, :, 0] = 1  # every query step attends to something
    layer = getattr(layers, layer_class)(**config)
    kwargs = dict(call or {})

    def run(training_flag):
        x_ts = [tf.constant(x) for x in xs]
        for role, m in mask_values.items():
            backend.set_keras_mask(x_ts[roles.index(role)], tf.constant(m > 0))
        extra = dict(kwargs)
        if attention_mask_value is not None:
            extra["attention_mask"] = tf.constant(attention_mask_value > 0)
        if layer_class == "MultiHeadAttention":
            args = {"query": x_ts[0], "value": x_ts[1]}
            if len(x_ts) > 2:
                args["key"] = x_ts[2]
            return x_ts, (lambda: layer(**args, training=training_flag, **extra))
        mask_list = None
        if mask_values:
            mask_list = [tf.constant(mask_values[r] > 0) if r in mask_values else None for r in roles]
        return x_ts, (lambda: layer(x_ts, mask=mask_list, training=training_flag, **extra))

    x_ts, call_layer = run(False)
    call_layer()  # builds
    initial = random_weights(rng, layer)
    layer.set_weights(initial)
    x_ts, call_layer = run(training)
    with tf.GradientTape(persistent=True) as tape:
        for x_t in x_ts:
            tape.watch(x_t)
        result = call_layer()
        if isinstance(result, (tuple, list)):
            y, scores = result
        else:
            y, scores = result, None
        upstream = normal(rng, tuple(y.shape))
        objective = tf.reduce_sum(y * tf.constant(upstream))
        scores_upstream = None
        if scores is not None:
            scores_upstream = normal(rng, tuple(scores.shape))
            objective += tf.reduce_sum(scores * tf.constant(scores_upstream))
    grads_x = tape.gradient(objective, x_ts)
    grads_w = tape.gradient(objective, list(layer.trainable_weights))
    case = {
        "name": name, "layer": layer_class, "config": config, "inputs": [arr(x) for x in xs],
        "masks": {role: arr(m) for role, m in mask_values.items()},
        "call": kwargs,
        "weight_names": [w.path for w in layer.weights],
        "weights": [arr(w) for w in initial],
        "output": arr(y), "upstream": arr(upstream),
        "grad_inputs": [arr(g) if g is not None else arr(np.zeros(x.shape)) for g, x in zip(grads_x, xs)],
        "grad_weights": [arr(g) if g is not None else arr(np.zeros(w.shape))
                         for g, w in zip(grads_w, layer.trainable_weights)],
    }
    if attention_mask_value is not None:
        case["attention_mask"] = arr(attention_mask_value)
    if scores is not None:
        case["scores"] = arr(scores)
        case["scores_upstream"] = arr(scores_upstream)
    return case, layer


def make_layer_cases():
    mha = "MultiHeadAttention"
    specs = [
        ("mha_self", mha, {"num_heads": 2, "key_dim": 3}, [[2, 4, 5], [2, 4, 5]], {}),
        ("mha_cross_key", mha, {"num_heads": 3, "key_dim": 2, "value_dim": 4}, [[2, 3, 6], [2, 5, 4], [2, 5, 3]], {}),
        ("mha_scores", mha, {"num_heads": 2, "key_dim": 4}, [[2, 4, 3], [2, 6, 3]],
         {"call": {"return_attention_scores": True}}),
        ("mha_no_bias_output_shape", mha, {"num_heads": 2, "key_dim": 2, "use_bias": False, "output_shape": [7]},
         [[2, 3, 4], [2, 3, 4]], {}),
        ("mha_causal", mha, {"num_heads": 2, "key_dim": 3}, [[2, 5, 4], [2, 5, 4]],
         {"call": {"use_causal_mask": True, "return_attention_scores": True}}),
        ("mha_causal_output_only", mha, {"num_heads": 2, "key_dim": 3}, [[2, 5, 4], [2, 5, 4]],
         {"call": {"use_causal_mask": True}}),
        ("mha_masks", mha, {"num_heads": 2, "key_dim": 3}, [[3, 4, 4], [3, 5, 4]],
         {"masks": ["query", "value"], "call": {"return_attention_scores": True}}),
        ("mha_masks_key", mha, {"num_heads": 2, "key_dim": 2}, [[2, 4, 3], [2, 5, 3], [2, 5, 2]],
         {"masks": ["query", "key"]}),
        ("mha_attention_mask", mha, {"num_heads": 2, "key_dim": 3}, [[2, 4, 4], [2, 5, 4]],
         {"attention_mask": True, "call": {"return_attention_scores": True}}),
        ("mha_attention_mask_causal_masks", mha, {"num_heads": 2, "key_dim": 3}, [[2, 5, 4], [2, 5, 4]],
         {"attention_mask": True, "masks": ["value"], "call": {"use_causal_mask": True}}),
        ("mha_attention_axes_2d", mha, {"num_heads": 2, "key_dim": 2, "attention_axes": [2]},
         [[2, 3, 4, 3], [2, 3, 5, 3]], {"call": {"return_attention_scores": True}}),
        ("mha_all_axes_2d", mha, {"num_heads": 2, "key_dim": 2}, [[2, 2, 3, 3], [2, 2, 4, 3]],
         {"call": {"return_attention_scores": True}}),
        ("attention_dot", "Attention", {}, [[2, 4, 3], [2, 5, 3]], {"call": {"return_attention_scores": True}}),
        ("attention_dot_scale_key", "Attention", {"use_scale": True}, [[2, 4, 3], [2, 5, 2], [2, 5, 3]], {}),
        ("attention_concat", "Attention", {"score_mode": "concat", "use_scale": True}, [[2, 4, 3], [2, 5, 3]],
         {"call": {"return_attention_scores": True}}),
        ("attention_concat_no_scale", "Attention", {"score_mode": "concat"}, [[2, 3, 3], [2, 4, 3]], {}),
        ("attention_masks", "Attention", {}, [[3, 4, 3], [3, 5, 3]],
         {"masks": ["query", "value"], "call": {"return_attention_scores": True}}),
        ("attention_causal", "Attention", {"use_scale": True}, [[2, 4, 3], [2, 4, 3]],
         {"masks": ["value"], "call": {"use_causal_mask": True, "return_attention_scores": True}}),
        ("additive", "AdditiveAttention", {}, [[2, 4, 3], [2, 5, 3]], {"call": {"return_attention_scores": True}}),
        ("additive_no_scale_key", "AdditiveAttention", {"use_scale": False}, [[2, 3, 4], [2, 4, 3], [2, 4, 4]], {}),
        ("additive_masks_causal", "AdditiveAttention", {}, [[2, 4, 3], [2, 4, 3]],
         {"masks": ["query", "value"], "call": {"use_causal_mask": True, "return_attention_scores": True}}),
    ]
    cases, configs = [], []
    for name, cls, config, shapes, options in specs:
        case, layer = attention_case(name, cls, config, shapes, **options)
        cases.append(case)
        # As JSON text: a float 0.0 stays 0.0 (a JSON parser may make it the integer 0).
        configs.append({"name": name, "class": cls, "serialized": json.dumps(keras.saving.serialize_keras_object(layer))})
    return cases, configs


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------

class TransformerBlock(layers.Layer):
    """The tutorial's block (keras.io/examples/nlp/text_classification_with_transformer)."""

    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = keras.ops.shape(x)[-1]
        positions = keras.ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


def tutorial_model():
    """The tutorial's model, with its sizes: vocabulary 20000, 200 steps, embedding 32,
    2 heads, feed-forward 32."""
    vocab_size, maxlen, embed_dim, num_heads, ff_dim = 20000, 200, 32, 2, 32
    inputs = layers.Input(shape=(maxlen,))
    x = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)(inputs)
    x = TransformerBlock(embed_dim, num_heads, ff_dim)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def tutorial_model_flat(vocab_size=20000, maxlen=200, embed_dim=32, num_heads=2, ff_dim=32):
    """The same model written with built-in layers only (positions as a second input, so
    the graph is functional): what SwiftKeras builds, and (smaller) what a .keras file holds."""
    inputs = layers.Input(shape=(maxlen,), name="tokens")
    positions = layers.Input(shape=(maxlen,), name="positions")
    x = layers.Add()([layers.Embedding(vocab_size, embed_dim)(inputs), layers.Embedding(maxlen, embed_dim)(positions)])
    attn = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)(x, x)
    out1 = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([x, layers.Dropout(0.1)(attn)]))
    ffn = layers.Dense(embed_dim)(layers.Dense(ff_dim, activation="relu")(out1))
    x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([out1, layers.Dropout(0.1)(ffn)]))
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    return keras.Model(inputs=[inputs, positions], outputs=outputs)


def masked_model():
    """Embedding(mask_zero) → MHA self-attention (masks from the Embedding) and a causal
    MHA returning scores, Attention and AdditiveAttention on the same masked sequence."""
    tokens = layers.Input(shape=(6,), name="tokens")
    x = layers.Embedding(12, 4, mask_zero=True, name="embedding")(tokens)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3, name="mha")
    y = mha(x, x)
    causal, scores = layers.MultiHeadAttention(num_heads=2, key_dim=2, name="causal")(
        y, x, use_causal_mask=True, return_attention_scores=True)
    a = layers.Attention(use_scale=True, name="dot")([causal, x])
    b = layers.AdditiveAttention(name="additive")([a, x, x])
    pooled = layers.GlobalAveragePooling1D(name="pool")(b)
    return keras.Model(tokens, [layers.Dense(3, name="head")(pooled), scores], name="masked_attention")


def keyword_model():
    """MultiHeadAttention called with key= and attention_mask= (a model input) as keyword
    arguments, returning its scores."""
    query = layers.Input(shape=(4, 3), name="query")
    value = layers.Input(shape=(5, 3), name="value")
    key = layers.Input(shape=(5, 2), name="key")
    mask = layers.Input(shape=(4, 5), name="attention_mask")
    output, scores = layers.MultiHeadAttention(num_heads=2, key_dim=2, name="mha")(
        query, value, key=key, attention_mask=mask, return_attention_scores=True)
    return keras.Model([query, value, key, mask], [output, scores], name="keyword_attention")


def model_case(name, model, inputs, save_dir=None, columns=120):
    rng = rng_for("attention/model/" + name)
    model.set_weights([normal(rng, tuple(w.shape), 0.3) for w in model.weights])
    predictions = model.predict(inputs, verbose=0)
    if not isinstance(predictions, (list, tuple)):
        predictions = [predictions]
    case = {
        "name": name, "inputs": [arr(x) for x in inputs],
        "predictions": [arr(p) for p in predictions],
        "summary": summary_text(model, columns),
        "total_params": int(model.count_params()),
        "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "non_trainable_params": int(sum(np.prod(w.shape) for w in model.non_trainable_weights)),
    }
    if save_dir is not None:
        os.makedirs(save_dir, exist_ok=True)
        model.save(os.path.join(save_dir, name + ".keras"))
        case["file"] = "attention/" + name + ".keras"
    return case


def make_model_cases(out_dir):
    keras.utils.clear_session()
    save_dir = os.path.join(out_dir, "attention")
    rng = rng_for("attention/model_inputs")
    tokens = rng.integers(1, 12, size=(4, 6)).astype(np.float32)
    tokens[0, 4:] = 0
    tokens[1, 2:] = 0
    tokens[3, 5:] = 0
    cases = [model_case("masked_attention", masked_model(), [tokens], save_dir)]
    keras.utils.clear_session()
    attention_mask = (rng.uniform(size=(2, 4, 5)) > 0.3).astype(np.float32)
    attention_mask[:, :, 0] = 1
    cases.append(model_case("keyword_attention", keyword_model(),
                            [normal(rng, (2, 4, 3)), normal(rng, (2, 5, 3)), normal(rng, (2, 5, 2)), attention_mask], save_dir))
    keras.utils.clear_session()
    small_tokens = rng.integers(0, 50, size=(3, 8)).astype(np.float32)
    positions = np.tile(np.arange(8, dtype=np.float32), (3, 1))
    cases.append(model_case("transformer_small", tutorial_model_flat(50, 8, 8, 2, 16), [small_tokens, positions], save_dir))
    keras.utils.clear_session()
    flat = tutorial_model_flat()
    cases.append({
        "name": "transformer_tutorial_flat", "summary": summary_text(flat, 120),
        "total_params": int(flat.count_params()),
        "trainable_params": int(sum(np.prod(w.shape) for w in flat.trainable_weights)),
        "non_trainable_params": int(sum(np.prod(w.shape) for w in flat.non_trainable_weights)),
    })
    keras.utils.clear_session()
    tutorial = tutorial_model()
    cases.append({
        "name": "transformer_tutorial",
        "summary": summary_text(tutorial, 120),
        "total_params": int(tutorial.count_params()),
        "trainable_params": int(sum(np.prod(w.shape) for w in tutorial.trainable_weights)),
        "non_trainable_params": int(sum(np.prod(w.shape) for w in tutorial.non_trainable_weights)),
        "layer_params": {l.name: int(l.count_params()) for l in tutorial.layers},
    })
    return cases


def write_all(out_dir):
    # Default layer names restart, so the configs do not depend on what ran before.
    keras.utils.clear_session()
    keras.utils.set_random_seed(1234)
    cases, configs = make_layer_cases()
    models = make_model_cases(out_dir)
    write_json(out_dir, "attention.json", {"layers": cases, "models": models, "configs": configs}, sections=True)


if __name__ == "__main__":
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    write_all(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "Tests", "SwiftKerasTests", "Fixtures"))
