#!/usr/bin/env bash
# Builds the Debian package of lvs-ha from this checkout (after `npm run build`):
#   bash packaging/deb/build.sh [OUTDIR]      (or: npm run package)
# and prints the path of lvs-ha_<version>_<arch>.deb on its last line.
#
# The package is self-contained: Debian 12's nodejs is 18, older than lvs-ha needs,
# so the Node.js 20 runtime that runs this build (process.execPath) goes into
# /usr/lib/lvs-ha/node with the app (dist/, production node_modules, the native
# addons); the .deb depends only on Debian packages (see docs/packaging.md).
# Needs: dpkg-dev (dpkg-deb, dpkg-shlibdeps), pandoc, binutils (strip), fakeroot not needed (root
# or not: dpkg-deb --root-owner-group).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$repo/packaging/deb
outdir=${1:-$repo/dist-deb}
node=${LVS_HA_NODE:-$(command -v node)}
node=$(readlink -f "$node")

for tool in dpkg-deb dpkg-shlibdeps dpkg-architecture pandoc strip gzip; do
  command -v "$tool" >/dev/null || { echo "packaging/deb/build.sh: $tool is missing (Debian packages dpkg-dev, pandoc, binutils)" >&2; exit 1; }
done
[ -f "$repo/dist/cli/main.js" ] || { echo "packaging/deb/build.sh: no dist/: run npm run build first" >&2; exit 1; }
[ -f "$repo/build/Release/lvsha_net.node" ] || { echo "packaging/deb/build.sh: no native addon: run npm ci (node-gyp rebuild) first" >&2; exit 1; }

upstream=$(node -p "require('$repo/package.json').version")
cli_version=$("$node" "$repo/bin/lvs-ha.js" --version | awk '{print $2}')
[ "$upstream" = "$cli_version" ] || { echo "packaging/deb/build.sh: package.json says $upstream, lvs-ha --version says $cli_version" >&2; exit 1; }
node_version=$("$node" -p 'process.versions.node')
case $node_version in 20.*|22.*|24.*) ;; *) echo "packaging/deb/build.sh: $node is Node.js $node_version; the package needs 20.19+ or 22+" >&2; exit 1 ;; esac
debian_revision=1
version=$upstream-$debian_revision
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
# The date of the last commit, so two builds of one commit give the same man pages and changelog.
date_rfc2822=$(git -C "$repo" log -1 --format=%aD 2>/dev/null || date -R)
date_iso=$(date -u -d "$date_rfc2822" +%Y-%m-%d)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -u -d "$date_rfc2822" +%s)}

work=$(mktemp -d "${TMPDIR:-/tmp}/lvs-ha-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
app=$root/usr/lib/lvs-ha
doc=$root/usr/share/doc/lvs-ha
mkdir -p "$app" "$doc" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/lvs-ha" "$root/etc/default" \
  "$root/usr/share/man/man8" "$root/usr/share/man/man5" "$root/usr/share/bash-completion/completions" \
  "$root/usr/share/zsh/vendor-completions" "$root/usr/share/lvs-ha" "$root/DEBIAN"

# --- the application: package.json, the launcher, dist/ (no source maps), the addon -----------------
cp "$repo/package.json" "$repo/package-lock.json" "$app/"
cp -r "$repo/bin" "$app/bin"
(cd "$repo" && find dist -type f -name '*.js' -print0 | cpio -0 -pdm --quiet "$app")
mkdir -p "$app/build/Release"
cp "$repo/build/Release/lvsha_net.node" "$app/build/Release/"

# --- production node_modules: a copy pruned by npm itself (no network: it only deletes) --------------
cp -a "$repo/node_modules" "$app/node_modules"
(cd "$app" && npm prune --omit=dev --ignore-scripts --offline --no-audit --no-fund --loglevel=error >/dev/null)
rm -f "$app/package-lock.json" "$app/node_modules/.package-lock.json"
# What runs at run time only: no other architectures' prebuilt addons, no build trees, no docs/tests.
node_arch=$("$node" -p 'process.arch')
find "$app/node_modules" -path '*/prebuilds/*' -mindepth 1 -maxdepth 5 -type d -name 'linux-*' ! -name "linux-$node_arch" -prune -exec rm -rf {} +
find "$app/node_modules" -path '*/prebuilds/*' -type d \( -name 'darwin-*' -o -name 'win32-*' -o -name 'android-*' -o -name 'freebsd-*' \) -prune -exec rm -rf {} +
for addon in "$app/node_modules/raw-socket/build"; do
  [ -d "$addon" ] && find "$addon" -mindepth 1 ! -path '*/Release' ! -path '*/Release/*.node' -prune -exec rm -rf {} +
done
find "$app/node_modules" \( -name '*.md' -o -name '*.markdown' -o -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
  -o -name '*.html' -o -name '.gitattributes' -o -name '.gitignore' -o -name '.npmignore' -o -name '.eslintrc*' -o -name '.travis.yml' -o -name '.github' -o -name '.editorconfig' -o -name 'tsconfig*.json' \
  -o -name 'test' -o -name 'tests' -o -name 'example' -o -name 'examples' -o -name 'benchmarks' -o -name 'docs' -o -name '.nycrc*' -o -name '.taprc' -o -name '.husky' -o -name 'tools' -o -name '*.sh' -o -name 'build-test.js' \
  -o -name '*.gyp' -o -name '*.gypi' -o -name 'Makefile' -o -name '*.cc' -o -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name 'src' -path '*/raw-socket/src' \) \
  -prune -exec rm -rf {} +
# The licenses go into the copyright file (below) and stay next to each package too.
find "$app/node_modules" -type f -exec chmod 0644 {} +
find "$app/node_modules" -type d -exec chmod 0755 {} +

# --- the runtime: this Node.js, stripped, and its license ---------------------------------------------
strip --remove-section=.comment --remove-section=.note --strip-unneeded -o "$app/node" "$node"
chmod 0755 "$app/node"
find "$app" -name '*.node' -type f -exec strip --remove-section=.comment --remove-section=.note --strip-unneeded {} \; -exec chmod 0644 {} \;
node_license=""
for candidate in "$(dirname "$node")/../share/doc/node/LICENSE" /usr/share/doc/nodejs/LICENSE "$(dirname "$node")/../LICENSE"; do
  [ -f "$candidate" ] && { node_license=$candidate; break; }
done
[ -n "$node_license" ] || { echo "packaging/deb/build.sh: cannot find the LICENSE of $node" >&2; exit 1; }

# --- /usr/bin/lvs-ha -----------------------------------------------------------------------------------
cat > "$root/usr/bin/lvs-ha" <<'EOF'
#!/bin/sh
# lvs-ha: runs the CLI on the Node.js runtime shipped with the package (Debian 12's nodejs is too old).
exec /usr/lib/lvs-ha/node /usr/lib/lvs-ha/bin/lvs-ha.js "$@"
EOF
# The launcher is run by /usr/bin/lvs-ha with the bundled runtime: no shebang of its own
# (#!/usr/bin/env node would find Debian's nodejs 18, or none).
sed -i '1{/^#!/d}' "$app/bin/lvs-ha.js"
chmod 0755 "$root/usr/bin/lvs-ha"
chmod 0644 "$app/bin/lvs-ha.js"

# --- systemd units, config sample, defaults ------------------------------------------------------------
install -m 0644 "$repo/systemd/lvs-ha.service" "$repo/systemd/lvs-ha-real-server.service" "$root/lib/systemd/system/"
install -m 0644 "$here/lvs-ha.yaml" "$root/etc/lvs-ha/lvs-ha.yaml"
install -m 0644 "$here/default" "$root/etc/default/lvs-ha"
"$node" "$repo/bin/lvs-ha.js" check-config "$root/etc/lvs-ha/lvs-ha.yaml" >/dev/null

# --- man pages: lvs-ha(8) from the verb table, lvs-ha.yaml(5) from docs/configuration.md ----------------
"$node" "$repo/bin/lvs-ha.js" __man "$date_iso" > "$work/lvs-ha.8"
{
  printf '# lvs-ha.yaml\n\n## NAME\n\nlvs-ha.yaml - configuration file of the lvs-ha director daemon\n\n## DESCRIPTION\n\n'
  sed -e '1{/^# /d}' -e 's|\](\.\./configs)|](/usr/share/doc/lvs-ha/examples)|g' "$repo/docs/configuration.md"
  printf '\n## FILES\n\n/etc/lvs-ha/lvs-ha.yaml\n:   the configuration of the lvs-ha.service unit\n\n/usr/share/doc/lvs-ha/examples/\n:   complete example configurations\n\n## SEE ALSO\n\nlvs-ha(8)\n'
} | pandoc -f gfm+definition_lists -t man -s --shift-heading-level-by=-1 -M title=LVS-HA.YAML -M section=5 \
    -M header="File Formats" -M footer="lvs-ha $upstream" -M date="$date_iso" -o "$work/lvs-ha.yaml.5"
gzip -9n -c "$work/lvs-ha.8" > "$root/usr/share/man/man8/lvs-ha.8.gz"
gzip -9n -c "$work/lvs-ha.yaml.5" > "$root/usr/share/man/man5/lvs-ha.yaml.5.gz"

# --- shell completion --------------------------------------------------------------------------------
"$node" "$repo/bin/lvs-ha.js" __complete bash > "$root/usr/share/bash-completion/completions/lvs-ha"
"$node" "$repo/bin/lvs-ha.js" __complete zsh > "$root/usr/share/zsh/vendor-completions/_lvs-ha"

# --- the config's JSON Schema, for editors: generated by the code it describes, and equal to the -------
# committed lvs-ha.schema.json that configs/ and the npm package point at (a unit test keeps them equal).
"$node" "$repo/bin/lvs-ha.js" __schema > "$root/usr/share/lvs-ha/lvs-ha.schema.json"
cmp -s "$root/usr/share/lvs-ha/lvs-ha.schema.json" "$repo/lvs-ha.schema.json" \
  || { echo "packaging/deb/build.sh: lvs-ha.schema.json is stale: node bin/lvs-ha.js __schema > lvs-ha.schema.json" >&2; exit 1; }
chmod 0644 "$root/usr/share/lvs-ha/lvs-ha.schema.json"

# --- documentation, examples, contrib -------------------------------------------------------------------
install -m 0644 "$repo/README.md" "$repo"/docs/*.md "$doc/"
mkdir -p "$doc/examples"
install -m 0644 "$repo"/configs/*.yaml "$doc/examples/"
# The examples name the schema by a path relative to configs/; installed, they name the installed one.
sed -i 's|^# yaml-language-server: \$schema=\.\./lvs-ha\.schema\.json$|# yaml-language-server: $schema=/usr/share/lvs-ha/lvs-ha.schema.json|' "$doc"/examples/*.yaml
if [ -d "$repo/contrib" ]; then
  cp -r "$repo/contrib" "$doc/contrib"
  find "$doc/contrib" -type f -exec chmod 0644 {} +
fi
install -m 0644 "$node_license" "$doc/LICENSE.nodejs"
mkdir -p "$root/usr/share/lintian/overrides"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/lvs-ha"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date_rfc2822/" "$here/changelog" | gzip -9n > "$doc/changelog.Debian.gz"

# copyright: lvs-ha, the bundled Node.js (its whole LICENSE, which covers what it bundles), the npm packages.
{
  cat "$here/copyright"
  printf '\nFiles: usr/lib/lvs-ha/node\nCopyright: Node.js contributors and the authors of the projects it bundles\nLicense: Expat and others\n'
  printf ' Node.js %s, the build this package was made with, is under the Expat license\n' "$node_version"
  printf ' and bundles libraries under their own licenses (V8, OpenSSL, ICU, libuv, zlib,\n llhttp, ...). Its LICENSE file, with every one of those licenses verbatim, is\n /usr/share/doc/lvs-ha/LICENSE.nodejs.\n'
  printf '\nFiles: usr/lib/lvs-ha/node_modules/*\nCopyright: the authors of each npm package (see each package.json and LICENSE)\nLicense: Expat and ISC\nComment: the npm packages bundled, with their licenses:\n'
  "$node" "$here/npm-licenses.js" "$app/node_modules" list
  printf '\nLicense: ISC\n'
  sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' "$here/ISC"
  printf '\nLicense: Expat\n'
  sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' "$here/Expat"
} > "$doc/copyright"
# Every bundled npm package must be under a license the copyright file carries.
"$node" "$here/npm-licenses.js" "$app/node_modules" check MIT ISC

# --- control, maintainer scripts, conffiles, md5sums ------------------------------------------------------
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"
printf '/etc/default/lvs-ha\n/etc/lvs-ha/lvs-ha.yaml\n' > "$root/DEBIAN/conffiles"
# Shared-library dependencies of the runtime and the addons, the Debian way.
mkdir -p "$work/shlibs/debian"
printf 'Source: lvs-ha\n\nPackage: lvs-ha\nArchitecture: any\n' > "$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e"$app/node" $(find "$app" -name '*.node' -printf ' -e%p') 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "packaging/deb/build.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SHLIBS@/$shlibs/" -e "s/@SIZE@/$installed_size/" \
    -e "s/@NODE@/$node_version/" "$here/control" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$outdir"
deb=$outdir/lvs-ha_${version}_${arch}.deb
# gzip: xz takes minutes for the 90 MB runtime on a small machine; LVS_HA_DEB_COMPRESSION=xz for a smaller file.
dpkg-deb --root-owner-group -Z"${LVS_HA_DEB_COMPRESSION:-gzip}" --build "$root" "$deb" >/dev/null
echo "$deb"
