#!/usr/bin/env bash
# Installs the `swiftkeras` command (run scripts, new packages, model summaries): builds it
# and the library that scripts link against in release mode, and puts it on the PATH, in
# $PREFIX/bin (default /usr/local when root, else ~/.local). Also installs what pictures of
# models and training curves need (Graphviz, librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh --plot
swift build -c release --product swiftkeras
swift build -c release --product SwiftKerasScripting
prefix="${PREFIX:-}"
if [ -z "$prefix" ]; then
  if [ "$(id -u)" -eq 0 ]; then prefix=/usr/local; else prefix="$HOME/.local"; fi
fi
mkdir -p "$prefix/bin"
install -m 755 .build/release/swiftkeras "$prefix/bin/swiftkeras"
# A `#!/usr/bin/env swiftkeras run` line reaches env as the one word "swiftkeras run".
ln -sf swiftkeras "$prefix/bin/swiftkeras run"
echo "Installed $prefix/bin/swiftkeras ($("$prefix/bin/swiftkeras" --version | head -1))"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "Add it to your PATH: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
