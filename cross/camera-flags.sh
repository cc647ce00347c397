# Sourced by the scripts that build camcgi as a camera's firmware carries it
# (cross/camera-build.sh, cross/test-camera.sh): sets `camera_flags`, the
# cargo arguments for TARGET, and `camera_toolchain`. Needs the toolchain
# CAMCGI_CAMERA_TOOLCHAIN (default: nightly) with its rust-src component
# (cross/setup-host.sh adds it). Each flag is there for flash (sizes in
# docs/board-support.md, "Size"):
# - The standard library is rebuilt from source with camcgi's release
#   profile (optimized for size, without std's backtrace symbolizer),
#   unwinding so that a panicking handler ends its own request only.
# - A panic inside a destructor aborts, which spares the landing pads
#   around drop glue (29 KiB).
# - Panics carry their message but not their source location
#   (`-Zlocation-detail=none`: no file names and line numbers in the
#   binary, 45 KiB).
# - Derived `Debug` prints the type or variant name only
#   (`-Zfmt-debug=shallow`, 12 KiB); camcgi's answers never use `Debug`.
# - Linked by the toolchain's LLD, which packs the position-independent
#   executable's relative relocations (DT_RELR: 30 KiB). The camera's C
#   library must be glibc 2.36 or later (the build needs 2.34 already).
camera_toolchain=${CAMCGI_CAMERA_TOOLCHAIN:-nightly}
camera_lld_dir="$(rustc "+$camera_toolchain" --print sysroot)/lib/rustlib/$(rustc "+$camera_toolchain" -vV | sed -n 's/^host: //p')/bin/gcc-ld"
camera_rustflags="'-Zpanic-in-drop=abort','-Zlocation-detail=none','-Zfmt-debug=shallow'"
camera_rustflags+=",'-Clink-arg=-fuse-ld=lld','-Clink-arg=-B$camera_lld_dir','-Clink-arg=-Wl,-z,pack-relative-relocs'"
camera_flags=(
    --release --target "$target"
    --config "target.$target.rustflags=[$camera_rustflags]"
    -Zbuild-std=std,panic_unwind -Zbuild-std-features=optimize_for_size
)
