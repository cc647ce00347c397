//! The C allocator's knobs that matter on a 64 MB camera, wrapped once.
//! glibc only; other C libraries (musl) keep their defaults.

/// glibc gives busy threads malloc arenas of their own: the HTTP front's
/// spare threads, the upload and lookup threads would each hold megabytes of
/// heap a 64 MB camera cannot spare. One arena serves camcgi's small
/// allocations.
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
