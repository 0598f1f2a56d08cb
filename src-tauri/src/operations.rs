//! Long operations in flight (a scan, a sign-in; later backups, restores, deployments): each
//! has an id the UI chose, and a cancellation token the UI's abort fires. Closing the app
//! cancels them all.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio_util::sync::CancellationToken;

/// The registry.
#[derive(Default)]
pub struct Operations {
    running: Mutex<HashMap<String, (u64, CancellationToken)>>,
    started: std::sync::atomic::AtomicU64,
}

/// One operation's registration: its token, and its entry removed when it ends.
pub struct Running<'a> {
    operations: &'a Operations,
    id: String,
    start: u64,
    /// Fires when the operation is cancelled.
    pub cancel: CancellationToken,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut running = self.operations.lock();
        // A later start under the same id owns the entry now; leave it.
        if running
            .get(&self.id)
            .is_some_and(|(start, _)| *start == self.start)
        {
            running.remove(&self.id);
        }
    }
}

impl Operations {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, CancellationToken)>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers an operation under `id`. Another still running under the same id is
    /// cancelled: the UI started it again.
    pub fn start(&self, id: &str) -> Running<'_> {
        let cancel = CancellationToken::new();
        let start = self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some((_, before)) = self.lock().insert(id.to_owned(), (start, cancel.clone())) {
            before.cancel();
        }
        Running {
            operations: self,
            id: id.to_owned(),
            start,
            cancel,
        }
    }

    /// Cancels the operation `id`; whether one was running.
    pub fn cancel(&self, id: &str) -> bool {
        self.lock()
            .get(id)
            .map(|(_, token)| token.cancel())
            .is_some()
    }

    /// Cancels every operation (the app is closing).
    pub fn cancel_all(&self) {
        for (_, token) in self.lock().values() {
            token.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operation_is_cancelled_by_its_id_only() {
        let operations = Operations::default();
        let scan = operations.start("scan-1");
        let sign_in = operations.start("sign-in-1");
        assert!(operations.cancel("scan-1"));
        assert!(scan.cancel.is_cancelled());
        assert!(!sign_in.cancel.is_cancelled());
        assert!(!operations.cancel("nothing"));
    }

    #[test]
    fn a_finished_operation_leaves_the_registry_and_cannot_be_cancelled() {
        let operations = Operations::default();
        drop(operations.start("scan-1"));
        assert!(!operations.cancel("scan-1"));
    }

    #[test]
    fn starting_again_under_the_same_id_cancels_the_first_and_keeps_the_second() {
        let operations = Operations::default();
        let first = operations.start("scan");
        let second = operations.start("scan");
        assert!(first.cancel.is_cancelled());
        drop(first);
        assert!(operations.cancel("scan"), "the second is still registered");
        assert!(second.cancel.is_cancelled());
    }

    #[test]
    fn closing_the_app_cancels_everything() {
        let operations = Operations::default();
        let (a, b) = (operations.start("a"), operations.start("b"));
        operations.cancel_all();
        assert!(a.cancel.is_cancelled() && b.cancel.is_cancelled());
    }
}
