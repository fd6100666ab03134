//! Software prefetch: asks the CPU to start loading a cache line that will be read soon. Hot loops over
//! large random-access arrays (flooding on 10^6-node graphs) hide memory latency with it. A no-op on
//! targets without a prefetch instruction; never changes a result.

/// Starts loading the cache line holding `value`.
#[inline(always)]
#[expect(unsafe_code, reason = "the prefetch intrinsic is unsafe to call, though it never faults")]
pub fn read<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
