# Sourced by the scripts that build camcgi as a camera's firmware carries it
# (cross/camera-build.sh, cross/test-camera.sh): sets `camera_flags`, the
# cargo arguments for TARGET, and `camera_toolchain`. The standard library is
# rebuilt from source with camcgi's release profile (optimized for size,
# without std's backtrace symbolizer), unwinding so that a panicking handler
# ends its own request only, and a panic inside a destructor aborting, which
# spares the landing pads around drop glue (29 KiB). Needs the toolchain
# CAMCGI_CAMERA_TOOLCHAIN (default: nightly) with its rust-src component
# (cross/setup-host.sh adds it).
camera_toolchain=${CAMCGI_CAMERA_TOOLCHAIN:-nightly}
camera_flags=(
    --release --target "$target"
    --config "target.$target.rustflags=['-Zpanic-in-drop=abort']"
    -Zbuild-std=std,panic_unwind -Zbuild-std-features=optimize_for_size
)
