//! The C allocator's knobs that matter on a 64 MB camera, wrapped once.
//! glibc only; other C libraries (musl) keep their defaults.

/// The glibc tunable that turns the per-thread caches off.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const NO_THREAD_CACHES: &str = "glibc.malloc.tcache_count=0";

/// glibc gives every thread a cache of freed small blocks (tcache), and
/// tiny-http runs a thread per connection: at 64 connections those caches
/// were 40% of camcgi's memory (peak RSS 8.7 MiB with them, 5.2 MiB without).
/// glibc reads that knob only from the environment at start, so camcgi
/// starts itself again, once, with it set. Call first thing in `main`,
/// before any thread starts; on any failure the process goes on as it is.
pub fn without_thread_caches() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
        if current.split(':').any(|t| t.starts_with("glibc.malloc.tcache_count=")) {
            return;
        }
        let tunables = if current.is_empty() { NO_THREAD_CACHES.to_string() } else { format!("{current}:{NO_THREAD_CACHES}") };
        let Ok(args) = std::env::args_os().map(|a| CString::new(a.as_bytes())).collect::<Result<Vec<_>, _>>() else {
            return;
        };
        std::env::set_var("GLIBC_TUNABLES", tunables);
        // execv, not execvp: a binary the kernel cannot run (an ARM binary
        // under qemu-user without binfmt_misc) must fail here, not be handed
        // to /bin/sh as a script.
        let _ = nix::unistd::execv(c"/proc/self/exe", &args);
        std::env::remove_var("GLIBC_TUNABLES");
        if !current.is_empty() {
            std::env::set_var("GLIBC_TUNABLES", current);
        }
    }
}

/// glibc gives busy threads malloc arenas of their own, and tiny-http runs a
/// thread per connection: with 64 connections that is megabytes of heap a
/// 64 MB camera cannot spare. One arena serves camcgi's small allocations.
/// Call before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters.
    unsafe {
        nix::libc::mallopt(nix::libc::M_ARENA_MAX, 1);
    }
}

/// Returns the heap's free pages to the system. After a flood of connections
/// the freed buffers lie between live allocations, where glibc keeps them
/// unless asked.
pub fn give_back_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases memory the allocator holds free.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}
