#!/usr/bin/env bash
# Installs the swiftkeras tool and runs the example scripts through it, as a user would:
#  - every script in Examples/Scripts compiles (run with --help);
#  - the "hello" char-RNN learns exactly, the sentence-polarity LSTM reaches 70% test
#    accuracy, keras-io's MNIST convnet reaches 96% after one epoch and writes its pictures,
#    the IMDB Conv1D classifier 85% after one epoch, the same kind of model on raw review text
#    through TextVectorization 80%, LeNet trained from MNIST written out as PNG
#    files in class folders 92% (12,000 images, one epoch);
#  - a script outside the repository runs by its shebang line, starts from the cache when
#    unchanged, recompiles alone when edited, and a compiler error names its file and line;
#  - `swiftkeras new` writes a package that SwiftPM resolves; `swiftkeras summary` prints Keras's counts.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Installed into a folder of this run (PATH first), with a cache of its own.
PREFIX="$work/prefix" bash Scripts/install-tool.sh
export PATH="$work/prefix/bin:$PATH" SWIFTKERAS_CACHE="$work/cache"
fail() { echo "FAIL: $*" >&2; exit 1; }

for script in Examples/Scripts/*.swift; do
  swiftkeras run "$script" --help >/dev/null || fail "$script does not compile"
done
swiftkeras run Examples/Scripts/char_rnn_hello.swift
swiftkeras run Examples/Scripts/sentence_polarity.swift --cell lstm --epochs 2 --vocabulary 5000 --embedding 128 \
  --units 32 --learning-rate 0.001 --min-accuracy 0.70
swiftkeras run Examples/Scripts/mnist_convnet.swift --epochs 1 --min-accuracy 0.96 --plot "$work/plots"
for picture in history.png model.png; do
  [ "$(head -c 4 "$work/plots/$picture" | od -An -tx1 | tr -d ' ')" = "89504e47" ] || fail "$picture is not a PNG"
done
grep -q "</svg>" "$work/plots/history.svg" || fail "history.svg is incomplete"
swiftkeras run Examples/Scripts/imdb_conv1d.swift --epochs 1 --min-accuracy 0.85
swiftkeras run Examples/Scripts/imdb_text_vectorization.swift --epochs 1 --min-accuracy 0.80
swiftkeras run Examples/Scripts/mnist_image_folder.swift --folder "$work/mnist_png" --train-samples 12000 --min-accuracy 0.92
# The summary of a LeNet Keras saved, optimizer state counted as Keras counts it.
swiftkeras summary Tests/SwiftKerasTests/Fixtures/saving/keras/lenet_mnist.keras | grep -q "Optimizer params: 1,328,174 (5.07 MB)" \
  || fail "swiftkeras summary of lenet_mnist.keras differs from Keras's"

# A script of the user's own, outside the repository, started by its shebang line.
mkdir -p "$work/mine"
cd "$work/mine"
printf '#!/usr/bin/env swiftkeras run\nimport SwiftKeras\nlet model = Sequential([Dense(4, inputShape: [3])])\nprint("params:", model.countParams(), Array(CommandLine.arguments.dropFirst()))\n' > own.swift
chmod +x own.swift
[ "$(./own.swift a --b 2>/dev/null)" = 'params: 16 ["a", "--b"]' ] || fail "own.swift did not run"
start=$(date +%s%N)
./own.swift 2>"$work/cached.log" >/dev/null
echo "cached start-up and run: $(( ($(date +%s%N) - start) / 1000000 )) ms"
! grep -q compiling "$work/cached.log" || fail "an unchanged script was compiled again"
echo 'print("edited")' >> own.swift
./own.swift 2>"$work/edited.log" | grep -q edited || fail "the edited script did not run"
grep -q compiling "$work/edited.log" && ! grep -q building "$work/edited.log" || fail "an edit rebuilt more than the script"
printf 'import SwiftKeras\n\nlet broken: Int = "three"\n' > broken.swift
if swiftkeras run broken.swift 2>"$work/broken.log"; then fail "a broken script ran"; fi
grep -q "^broken.swift:3:19: error:" "$work/broken.log" || { cat "$work/broken.log"; fail "the error does not name broken.swift:3"; }

swiftkeras new Starter >/dev/null
(cd Starter && swift package dump-package >/dev/null) || fail "the new package does not resolve"
grep -q "MNIST.loadData" Starter/Sources/Starter/main.swift || fail "the new package has no LeNet"
cd "$repo"
echo "Scripts through swiftkeras: all passed"
