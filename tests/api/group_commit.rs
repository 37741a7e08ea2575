//! The write path: on SQLite one writer, a savepoint per writer and group commit
//! (`store::writer`); on PostgreSQL the pool. The same guarantees hold on both: a writer that
//! rolls back loses only its own work, and a commit that returned is visible to everyone.

use std::sync::atomic::Ordering;

use chrono::Utc;
use perdiem::domain::client::ClientInput;
use perdiem::domain::ids::ClientId;
use perdiem::store::audit::{self, Action, AuditEntry};
use perdiem::store::clients::{self, ClientSearch};
use perdiem::store::{Db, Page};

use crate::helpers::fresh_db;

fn client(n: usize) -> perdiem::domain::client::NewClient {
    ClientInput {
        first_name: Some("Group".into()),
        last_name: Some(format!("Writer{}", letters(n))),
        date_of_birth: Some("1990-05-06".into()),
        sex: Some("F".into()),
        external_id: Some(format!("GC-{n}")),
        ..ClientInput::default()
    }
    .parse(Utc::now().date_naive())
    .unwrap()
}

/// `n` spelled in letters (names hold no digits).
fn letters(mut n: usize) -> String {
    let mut out = String::new();
    loop {
        out.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

/// The external ids of the stored clients, and how many clients there are.
async fn stored_external_ids(db: &Db) -> (Vec<String>, i64) {
    let mut tx = db.begin_read().await.unwrap();
    let (found, total) = clients::search(
        &mut tx,
        &ClientSearch {
            name: None,
            date_of_birth: None,
            external_id: None,
        },
        Page {
            limit: 200,
            offset: 0,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let ids = found
        .iter()
        .filter_map(|c| c.data.external_id.as_ref().map(|e| e.as_str().to_string()))
        .collect();
    (ids, total)
}

/// What one concurrent writer does.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Fate {
    Commits,
    /// Writes, then gives up (a failed check after the write): dropped without commit.
    GivesUp,
    /// Writes, then hits a UNIQUE violation (a 409) and gives up.
    Conflicts,
}

fn fate(n: usize) -> Fate {
    match n % 3 {
        0 => Fate::Commits,
        1 => Fate::GivesUp,
        _ => Fate::Conflicts,
    }
}

async fn write(db: Db, n: usize) -> bool {
    let mut tx = db.begin().await.unwrap();
    let id = ClientId::new();
    clients::insert(&mut tx, id, &client(n)).await.unwrap();
    audit::record(
        &mut tx,
        &AuditEntry {
            user_id: None,
            action: Action::Create,
            entity_type: "client",
            entity_id: Some(&id.to_string()),
            ip: None,
            request_id: &format!("group-commit-{n}"),
        },
    )
    .await
    .unwrap();
    match fate(n) {
        Fate::Commits => {
            tx.commit().await.unwrap();
            true
        }
        Fate::GivesUp => {
            // Yield while holding the writer, as a handler awaiting something would.
            tokio::task::yield_now().await;
            drop(tx);
            false
        }
        Fate::Conflicts => {
            // External id GC-0 is taken by writer 0 (or will be): the insert fails inside this
            // writer's savepoint, and the writer gives up.
            let taken = clients::insert(&mut tx, ClientId::new(), &client(0)).await;
            if taken.is_ok() {
                // Writer 0 has not committed yet: the same outcome, reached differently.
                drop(tx);
                return false;
            }
            assert!(taken.unwrap_err().is_unique_violation());
            drop(tx);
            false
        }
    }
}

#[tokio::test]
async fn a_writer_that_rolls_back_loses_only_its_own_work() {
    let db = fresh_db().await;
    let writers = 60;
    let tasks: Vec<_> = (0..writers)
        .map(|n| tokio::spawn(write(db.clone(), n)))
        .collect();
    let mut committed = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        if task.await.unwrap() {
            committed.push(n);
        }
    }
    assert_eq!(committed.len(), writers / 3);

    // Read on a connection of its own: a commit that returned is visible to everyone.
    let reader = db.reopen(1).await.unwrap();
    let (mut kept, total) = stored_external_ids(&reader).await;
    kept.sort();
    let mut expected: Vec<String> = committed.iter().map(|n| format!("GC-{n}")).collect();
    expected.sort();
    assert_eq!(kept, expected, "exactly the committed writers' clients");
    assert_eq!(total, i64::try_from(committed.len()).unwrap());
    let (events, _) = audit::list(
        &mut reader.begin_read().await.unwrap(),
        &Default::default(),
        Page {
            limit: 200,
            offset: 0,
        },
    )
    .await
    .unwrap();
    let mut audited: Vec<String> = events.iter().map(|e| e.request_id.clone()).collect();
    audited.sort();
    let mut expected: Vec<String> = committed
        .iter()
        .map(|n| format!("group-commit-{n}"))
        .collect();
    expected.sort();
    assert_eq!(audited, expected, "each write's audit row went with it");

    if let Db::Sqlite(sqlite) = &db {
        let stats = sqlite.writer().stats();
        let commits = stats.commits.load(Ordering::Relaxed);
        let members = stats.committed_members.load(Ordering::Relaxed);
        assert_eq!(members, committed.len() as u64);
        assert!(
            commits < members,
            "concurrent writers shared commits: {commits} commits for {members} writers"
        );
        assert_eq!(stats.queued.load(Ordering::Relaxed), 0);
    }
    reader.close().await;
}

/// After a dropped writer and nobody else queued, the writer is free again and the next write
/// commits at once (no group is left waiting, no transaction is left open).
#[tokio::test]
async fn a_dropped_writer_leaves_the_writer_free() {
    let db = fresh_db().await;
    {
        let mut tx = db.begin().await.unwrap();
        clients::insert(&mut tx, ClientId::new(), &client(1))
            .await
            .unwrap();
    }
    let mut tx = db.begin().await.unwrap();
    clients::insert(&mut tx, ClientId::new(), &client(2))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let reader = db.reopen(1).await.unwrap();
    let (ids, _) = stored_external_ids(&reader).await;
    assert_eq!(ids, vec!["GC-2".to_string()]);
    reader.close().await;
}

/// Reads hand their audit rows to one queue, which writes those of many requests together;
/// each request's `record` returns once its own rows are stored.
#[tokio::test]
async fn read_audits_from_many_requests_are_all_stored_before_each_answer() {
    use perdiem::store::audit::NewAuditEvent;
    use perdiem::store::audit_queue::AuditQueue;

    let db = fresh_db().await;
    let queue = AuditQueue::start(db.clone());
    let requests = 50;
    let tasks: Vec<_> = (0..requests)
        .map(|n| {
            let queue = queue.clone();
            let db = db.clone();
            tokio::spawn(async move {
                let rows = (0..2)
                    .map(|k| NewAuditEvent {
                        user_id: None,
                        action: Action::Read,
                        entity_type: "client",
                        entity_id: Some(format!("client-{n}-{k}")),
                        ip: None,
                        request_id: format!("read-{n}"),
                    })
                    .collect();
                queue.record(rows).await.unwrap();
                // Stored before the answer: a new read sees this request's rows.
                let mut tx = db.begin_read().await.unwrap();
                let (events, _) = audit::list(
                    &mut tx,
                    &perdiem::store::audit::AuditFilter {
                        entity_id: Some(format!("client-{n}-1")),
                        ..Default::default()
                    },
                    Page {
                        limit: 5,
                        offset: 0,
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                assert_eq!(events.len(), 1, "request {n}'s rows are stored");
                assert_eq!(events[0].request_id, format!("read-{n}"));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut tx = db.begin_read().await.unwrap();
    let (_, total) = audit::list(
        &mut tx,
        &Default::default(),
        Page {
            limit: 1,
            offset: 0,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(total, 2 * requests);
    if let Db::Sqlite(sqlite) = &db {
        let stats = sqlite.writer().stats();
        assert!(
            stats.commits.load(Ordering::Relaxed) < requests as u64,
            "the queue wrote many requests' rows per transaction"
        );
    }
}

/// A staff request's commit does not wait for the batch worker's writes (background work)
/// queued behind it to join its group: with only background writers waiting, it commits at
/// once. Before, it handed the connection over and waited for their commit; here the
/// background writer holds the connection until the request's commit has returned, so the old
/// rule waits out the timeout and fails.
#[tokio::test]
async fn a_request_commits_without_waiting_for_background_writes() {
    use perdiem::store::writer::in_background;

    let db = fresh_db().await;
    let Db::Sqlite(sqlite) = &db else {
        // PostgreSQL has no writer queue: each transaction commits on its own.
        return;
    };
    let mut request = db.begin().await.unwrap();
    clients::insert(&mut request, ClientId::new(), &client(1))
        .await
        .unwrap();
    let (release, hold) = tokio::sync::oneshot::channel::<()>();
    let background = tokio::spawn(in_background({
        let db = db.clone();
        async move {
            let mut tx = db.begin().await.unwrap();
            clients::insert(&mut tx, ClientId::new(), &client(2))
                .await
                .unwrap();
            hold.await.unwrap();
            tx.commit().await.unwrap();
        }
    }));
    let stats = sqlite.writer().stats();
    while stats.queued.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    assert_eq!(stats.queued_requests.load(Ordering::SeqCst), 0);
    tokio::time::timeout(std::time::Duration::from_secs(10), request.commit())
        .await
        .expect("the request's commit waited for a background writer")
        .unwrap();
    let reader = db.reopen(1).await.unwrap();
    let (ids, _) = stored_external_ids(&reader).await;
    assert_eq!(
        ids,
        vec!["GC-1".to_string()],
        "the request's write is committed"
    );
    release.send(()).unwrap();
    background.await.unwrap();
    let (mut ids, _) = stored_external_ids(&reader).await;
    ids.sort();
    assert_eq!(ids, vec!["GC-1".to_string(), "GC-2".to_string()]);
    reader.close().await;
}
