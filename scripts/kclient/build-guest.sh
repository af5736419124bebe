#!/usr/bin/env bash
# Builds (once) the QEMU guest the kernel-client interop test boots:
#   $CACHE/vmlinuz              Debian 12 cloud kernel (never installed here:
#                               apt-get download + dpkg -x)
#   $CACHE/initramfs.cpio.gz    busybox-static, mount.cifs with its shared
#                               libraries, cifs.ko + virtio-net + crypto modules
#                               with their modules.dep, and /init
#   $CACHE/stamp                what it was built from; a rebuild happens only
#                               when the kernel package or this script changes
# CACHE is ${ZEROSMB_KCLIENT_CACHE:-$HOME/.cache/zerosmb-kclient}. Prints the
# cache directory on its last line. Needs busybox-static and cifs-utils
# installed on this (Debian 12) machine; .ci/run installs them.
# The test (test/kclient) appends its own cpio with the workload binary, so
# changing the workload never rebuilds this image.
set -euo pipefail
CACHE=${ZEROSMB_KCLIENT_CACHE:-$HOME/.cache/zerosmb-kclient}
KPKG=${ZEROSMB_KCLIENT_KERNEL_PKG:-}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$CACHE"

if [ -z "$KPKG" ]; then
  # The cloud meta-package names the current ABI's image package.
  KPKG=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
  if [ -z "$KPKG" ] && [ -f "$CACHE/stamp" ]; then
    KPKG=$(sed -n 's/^kernel=//p' "$CACHE/stamp")   # offline: keep what we have
  fi
  [ -n "$KPKG" ] || { echo "build-guest: cannot resolve linux-image-cloud-amd64 (apt-get update?)" >&2; exit 1; }
fi
want="kernel=$KPKG
script=$(sha256sum "$0" | cut -c1-16)"
if [ -f "$CACHE/stamp" ] && [ "$(cat "$CACHE/stamp")" = "$want" ] &&
   [ -s "$CACHE/vmlinuz" ] && [ -s "$CACHE/initramfs.cpio.gz" ]; then
  echo "$CACHE"; exit 0
fi

BB=$(command -v busybox || true)
[ -n "$BB" ] && file -L "$BB" 2>/dev/null | grep -q 'statically linked' || BB=/bin/busybox
[ -x "$BB" ] || { echo "build-guest: busybox-static not installed" >&2; exit 1; }
MC=$(command -v mount.cifs || echo /usr/sbin/mount.cifs)
[ -x "$MC" ] || { echo "build-guest: cifs-utils (mount.cifs) not installed" >&2; exit 1; }

work=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
( cd "$work" && apt-get download -q "$KPKG" >/dev/null 2>&1 ) ||
  ( cd "$work" && apt-get download "$KPKG" )
dpkg -x "$work"/"$KPKG"_*.deb "$work/k"
KVER=$(ls "$work/k/lib/modules" | head -1)
"$BB" depmod -b "$work/k" "$KVER"
dep="$work/k/lib/modules/$KVER/modules.dep"
grep -q '/cifs\.ko:' "$dep" || { echo "build-guest: $KPKG has no cifs.ko" >&2; exit 1; }

root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,mnt,tmp,etc,lib64,usr/lib}
cp "$BB" "$root/bin/busybox"
cp "$MC" "$root/sbin/mount.cifs"
# Shared libraries of mount.cifs, at the paths the dynamic loader expects.
ldd "$MC" | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}' | sort -u | while read -r lib; do
  mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"
done

# Modules: the closure over modules.dep of what the guest loads.
# Every crypto module (the cifs client asks for ccm/gcm(aes), cmac(aes),
# sha512 by name; their templates pull in ctr, ghash, ... through aliases).
mods="cifs virtio_net virtio_pci $(cd "$work/k/lib/modules/$KVER" && find kernel/crypto kernel/arch/x86/crypto -name '*.ko' 2>/dev/null | xargs -r -n1 basename | sed 's/\.ko$//')"
modroot="$root/lib/modules/$KVER"
mkdir -p "$modroot"
closure() {  # module name -> its path and its deps' paths (relative)
  local line
  line=$(grep -E "(^|/)$1\.ko:" "$dep" || true)
  [ -n "$line" ] || return 0
  echo "$line" | tr -d ':' | tr ' ' '\n'
}
for m in $mods; do closure "$m"; done | sort -u | grep . | while read -r rel; do
  mkdir -p "$modroot/$(dirname "$rel")"; cp "$work/k/lib/modules/$KVER/$rel" "$modroot/$rel"
done
cp "$work/k/lib/modules/$KVER"/modules.{order,builtin} "$modroot/" 2>/dev/null || true
"$BB" depmod -b "$root" "$KVER"

cp "$here/init" "$root/init"
chmod 755 "$root/init"
( cd "$root" && find . | "$BB" cpio -o -H newc 2>/dev/null ) | gzip -6 > "$work/initramfs.cpio.gz"
cp "$work"/k/boot/vmlinuz-* "$work/vmlinuz"
mv "$work/vmlinuz" "$CACHE/vmlinuz"
mv "$work/initramfs.cpio.gz" "$CACHE/initramfs.cpio.gz"
printf '%s\n' "$want" > "$CACHE/stamp"
echo "build-guest: $KPKG ($KVER), initramfs $(du -h "$CACHE/initramfs.cpio.gz" | cut -f1)" >&2
echo "$CACHE"
