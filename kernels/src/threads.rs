//! How many threads a kernel may split one call over.
//!
//! Normally the current rayon pool's size. Inside [`on_this_thread`] it is 1: a
//! caller that already runs coarse tasks in parallel (the trainer's batch shards,
//! one per rayon task) keeps each task's kernels on its own thread, instead of
//! splitting a small GEMM again and paying a fork/join per op. Splitting never
//! changes a kernel's result, so this only moves time.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// Runs `f` with the current rayon pool's other threads kept awake until it
/// returns: each spins, running any work the pool has (`rayon::yield_now`),
/// instead of going to sleep between `f`'s parallel regions. A sleeping worker
/// takes about 0.1 ms to wake on the project's 2-core VMs (measured: 8 tasks
/// of 200 µs after a serial gap of 50 µs or more take 0.88–0.93 ms on 2
/// threads, not 0.8), which a training step, with its handful of parallel
/// phases between short serial ones, would pay each time. This is OpenMP's
/// active wait: the other cores burn their time while `f` runs serial code,
/// which is time they would idle anyway. Where work runs never changes a
/// result.
pub fn with_pool_awake<R>(f: impl FnOnce() -> R) -> R {
    let others = rayon::current_num_threads().saturating_sub(1);
    if others == 0 {
        return f();
    }
    let done = AtomicBool::new(false);
    // Sets `done` however `f` ends, so the scope below never waits forever.
    struct Finish<'a>(&'a AtomicBool);
    impl Drop for Finish<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let caller = rayon::current_thread_index();
    rayon::in_place_scope(|scope| {
        for _ in 0..others {
            scope.spawn(|_| {
                // The caller itself may pick a spinner up while it waits inside
                // `f`; spinning there would wait for its own `done`.
                if rayon::current_thread_index() == caller {
                    return;
                }
                while !done.load(Ordering::Acquire) {
                    if rayon::yield_now() != Some(rayon::Yield::Executed) {
                        std::hint::spin_loop();
                    }
                }
            });
        }
        let _finish = Finish(&done);
        f()
    })
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

    #[test]
    fn awake_pool_runs_the_work_and_ends_on_return_and_on_panic() {
        use rayon::prelude::*;
        for threads in [1, 2, 4] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| {
                // Parallel regions inside, nested ones too, with serial gaps.
                let sum = with_pool_awake(|| {
                    let mut total = 0u64;
                    for round in 0..50u64 {
                        total += (0..64u64)
                            .into_par_iter()
                            .map(|i| (0..i).into_par_iter().sum::<u64>() + round)
                            .sum::<u64>();
                    }
                    total
                });
                let want: u64 =
                    (0..50u64).map(|r| (0..64u64).map(|i| i * i.saturating_sub(1) / 2 + r).sum::<u64>()).sum();
                assert_eq!(sum, want, "{threads} threads");
                let caught = std::panic::catch_unwind(|| with_pool_awake(|| panic!("inside")));
                assert!(caught.is_err(), "the panic reaches the caller, and the spinners stop");
                assert_eq!(with_pool_awake(|| 7), 7);
            });
        }
    }
}
