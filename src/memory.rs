//! The process's memory, kept small (RSS under 64 MiB under read load, under 128 MiB
//! during a sign-in burst). Two glibc allocator settings; no effect with another allocator. (The
//! other half of keeping it bounded is in `crate::metrics`, which drains the histograms' samples
//! whether or not anything scrapes `/metrics`.)

/// Makes glibc serve every allocation of 1 MiB or more (argon2's 19 MiB working memory) with its
/// own `mmap` and unmap it when freed. By default glibc raises that threshold to the size of the
/// largest block freed so far, after which a freed 19 MiB buffer stays in the process (RSS
/// 19 MiB per hashing thread, for ever, after one sign-in). Process-wide: `main` calls it first,
/// before any hash (the demo seed hashes its passwords before the server starts).
pub fn unmap_large_blocks_when_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets an allocator parameter.
        let done = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
        if done != 1 {
            log::warn!("cannot fix glibc's mmap threshold: argon2 memory may stay resident");
        }
    }
}

/// Gives the pages of freed memory back to the system. Each worker collects the OpenAPI
/// document (~12 MiB of small allocations) while it registers its routes and then frees it;
/// glibc keeps those pages in the worker's arena unless asked (measured: 47 MiB → 31 MiB at
/// start). Called once per worker, after it has built its application.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}
