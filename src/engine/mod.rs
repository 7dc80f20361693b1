//! The engine: a bounded, ordered parallel map over chunks.
//!
//! [`ordered_map`] runs `map` on every chunk on `threads` worker threads and
//! calls `sink` with the results in input order. It is the shape of every
//! streaming tool (pcat, pcut, pgrep) and the first half of the reducing and
//! shuffling ones (pgroupby's per-chunk partials, psort's runs).
//!
//! Threads, channels and ownership:
//! - a *feeder* thread pulls items from the input iterator (usually a
//!   [`crate::input::ChunkStream`]), numbers them, and sends them on `work`.
//!   Before each item it takes a token from `tokens`; the caller's thread
//!   returns the token after the sink has consumed that item. So at most
//!   `in_flight` items exist between the feeder and the sink at any moment,
//!   and memory does not grow with the input;
//! - `threads` *workers* receive `(seq, chunk)`, compute `map(&chunk)`, and
//!   send `(seq, chunk, result)` on `done`. A worker owns the chunk while
//!   mapping it; ownership moves on to the sink, which may keep or drop it
//!   (dropping returns the buffer to the reader's pool);
//! - the *caller's* thread receives from `done`, puts results back in
//!   sequence order (a small reorder map, never more than `in_flight`
//!   entries) and calls `sink`.
//!
//! The sink can stop the run ([`Flow::Stop`]): the engine then stops
//! feeding and returns at once. Feeder and workers are detached threads, so
//! a feeder blocked on a read of an endless stdin does not keep the process
//! alive after the caller is done.

use crate::error::Result;
use crossbeam_channel::{bounded, unbounded};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

/// Whether the sink wants more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Stop,
}

/// One input item as the engine sees it: work to map, or something to pass
/// straight through to the sink in its place in the order (an input error).
pub enum Item<C, P> {
    Work(C),
    Pass(P),
}

/// What the sink receives, in input order.
pub enum Event<C, T, P> {
    /// A mapped item and the map's result.
    Mapped(C, T),
    /// A pass-through item.
    Passed(P),
}

/// Number of items in flight for `threads` workers: enough that every
/// worker has one to chew on while the feeder reads the next and the sink
/// writes the last.
pub fn default_in_flight(threads: usize) -> usize {
    2 * threads + 2
}

/// Maps `items` in parallel and hands results to `sink` in input order.
///
/// `threads == 1` still uses a worker thread, so reading, mapping and
/// writing overlap; results are identical whatever the thread count.
pub fn ordered_map<C, T, P, I, M, S>(threads: usize, items: I, map: M, mut sink: S) -> Result<()>
where
    C: Send + 'static,
    T: Send + 'static,
    P: Send + 'static,
    I: Iterator<Item = Item<C, P>> + Send + 'static,
    M: Fn(&C) -> T + Send + Sync + 'static,
    S: FnMut(Event<C, T, P>) -> Result<Flow>,
{
    let threads = threads.max(1);
    let in_flight = default_in_flight(threads);
    let (tokens_tx, tokens_rx) = bounded::<()>(in_flight);
    for _ in 0..in_flight {
        tokens_tx.send(()).expect("token channel has room");
    }
    let (work_tx, work_rx) = bounded::<(u64, C)>(in_flight);
    let (done_tx, done_rx) = unbounded::<(u64, Event<C, T, P>)>();
    let stop = Arc::new(AtomicBool::new(false));

    {
        let done_tx = done_tx.clone();
        let stop = stop.clone();
        thread::spawn(move || {
            for (seq, item) in items.enumerate() {
                if stop.load(Ordering::Relaxed) || tokens_rx.recv().is_err() {
                    return;
                }
                let seq = seq as u64;
                let sent = match item {
                    Item::Work(c) => work_tx.send((seq, c)).is_ok(),
                    Item::Pass(p) => done_tx.send((seq, Event::Passed(p))).is_ok(),
                };
                if !sent {
                    return;
                }
            }
        });
    }
    let map = Arc::new(map);
    for _ in 0..threads {
        let work_rx = work_rx.clone();
        let done_tx = done_tx.clone();
        let map = map.clone();
        let stop = stop.clone();
        thread::spawn(move || {
            while let Ok((seq, c)) = work_rx.recv() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let t = map(&c);
                if done_tx.send((seq, Event::Mapped(c, t))).is_err() {
                    return;
                }
            }
        });
    }
    drop(done_tx);
    drop(work_rx);

    let mut pending: BTreeMap<u64, Event<C, T, P>> = BTreeMap::new();
    let mut next = 0u64;
    let result = (|| {
        while let Ok((seq, ev)) = done_rx.recv() {
            pending.insert(seq, ev);
            while let Some(ev) = pending.remove(&next) {
                next += 1;
                let flow = sink(ev)?;
                let _ = tokens_tx.send(());
                if flow == Flow::Stop {
                    return Ok(());
                }
            }
        }
        Ok(())
    })();
    stop.store(true, Ordering::Relaxed);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_input_order() {
        for threads in [1, 2, 7] {
            let items = (0..1000u64).map(Item::<u64, ()>::Work);
            let mut seen = Vec::new();
            ordered_map(
                threads,
                items,
                |&x| {
                    if x % 7 == 0 {
                        std::thread::sleep(std::time::Duration::from_micros(50));
                    }
                    x * 2
                },
                |ev| {
                    if let Event::Mapped(c, t) = ev {
                        assert_eq!(t, c * 2);
                        seen.push(c);
                    }
                    Ok(Flow::Continue)
                },
            )
            .unwrap();
            assert_eq!(seen, (0..1000).collect::<Vec<_>>());
        }
    }

    #[test]
    fn sink_can_stop_early() {
        let items = (0..u64::MAX).map(Item::<u64, ()>::Work);
        let mut n = 0;
        ordered_map(
            2,
            items,
            |&x| x,
            |_| {
                n += 1;
                Ok(if n == 10 { Flow::Stop } else { Flow::Continue })
            },
        )
        .unwrap();
        assert_eq!(n, 10);
    }
}
