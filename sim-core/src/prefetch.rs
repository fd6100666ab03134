//! Software prefetch: asks the CPU to start loading a cache line that will be read soon. Hot loops over
//! large random-access arrays (flooding on 10^6-node graphs) hide memory latency with it. A no-op on
//! targets without a prefetch instruction; never changes a result.

/// Starts loading the cache line holding `value`.
#[inline(always)]
pub fn read<T>(value: &T) {
    hint(std::ptr::from_ref(value));
}

/// Starts loading the cache line that holds `slice[index]` when `index` is in bounds, as
/// `read(&slice[index])` would, but without its bounds check: out of bounds it hints at an address that
/// is never read, which does nothing else. For hot loops whose indices the compiler cannot prove in
/// bounds (a random peer's word), where the check costs two instructions per prefetch.
#[inline(always)]
pub fn read_at<T>(slice: &[T], index: usize) {
    hint(slice.as_ptr().wrapping_add(index));
}

/// The prefetch instruction for `address`, whatever it points to.
#[inline(always)]
#[expect(unsafe_code, reason = "the prefetch intrinsic is unsafe to call, though it never faults")]
fn hint<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of the x86_64 baseline, and a prefetch never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
