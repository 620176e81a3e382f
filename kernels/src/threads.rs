//! How many threads a kernel may split one call over.
//!
//! Normally the current rayon pool's size. Inside [`on_this_thread`] it is 1: a
//! caller that already runs coarse tasks in parallel (the trainer's batch shards,
//! one per rayon task) keeps each task's kernels on its own thread, instead of
//! splitting a small GEMM again and paying a fork/join per op. Splitting never
//! changes a kernel's result, so this only moves time.

use std::cell::Cell;

thread_local! {
    static SERIAL: Cell<bool> = const { Cell::new(false) };
}

/// The threads a kernel called from here may use: 1 inside [`on_this_thread`],
/// else the current rayon pool's size.
pub fn available() -> usize {
    if SERIAL.with(Cell::get) {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// Runs `f` with every kernel it calls on this thread (see the module doc).
/// Nested calls are fine; the previous setting is restored afterwards, also when
/// `f` panics.
pub fn on_this_thread<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SERIAL.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SERIAL.with(|s| s.replace(true)));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_scope_reports_one_thread_and_restores() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        pool.install(|| {
            assert_eq!(available(), 3);
            on_this_thread(|| {
                assert_eq!(available(), 1);
                on_this_thread(|| assert_eq!(available(), 1));
                assert_eq!(available(), 1, "an inner scope does not end the outer one");
            });
            assert_eq!(available(), 3);
            let caught = std::panic::catch_unwind(|| on_this_thread(|| panic!("inside")));
            assert!(caught.is_err());
            assert_eq!(available(), 3, "restored after a panic");
        });
    }
}
