//! Every store function, against the backend under test (SQLite, or PostgreSQL when
//! TEST_DATABASE_URL is set; CI runs the suite on both).

use std::collections::HashSet;

use chrono::{Duration, NaiveDate, Utc};
use perdiem::domain::authorization::{AuthorizationInput, AuthorizationStatus, ExtensionInput};
use perdiem::domain::claim_status::{ClaimStatus, Frequency};
use perdiem::domain::client::ClientInput;
use perdiem::domain::coverage::CoverageInput;
use perdiem::domain::eligibility::LevelOfCare;
use perdiem::domain::ids::{new_id, AuthorizationId, ClientId, CoverageId, PayerId, UserId};
use perdiem::domain::money::Money;
use perdiem::domain::payer::PayerInput;
use perdiem::domain::role::Role;
use perdiem::secrets::SecretKey;
use perdiem::store::audit::{self, Action, AuditEntry, AuditFilter};
use perdiem::store::authorizations::{self, AuthorizationFilter};
use perdiem::store::claims::{self, ClaimEvent, ClaimRecord, NewClaim, StatusMove};
use perdiem::store::clients::{self, ClientSearch};
use perdiem::store::login_throttle::{self, ThrottlePolicy};
use perdiem::store::users::{self, UserChanges};
use perdiem::store::{coverages, payers, Page};

use crate::helpers::fresh_db;

const PAGE: Page = Page {
    limit: 50,
    offset: 0,
};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn client(
    first: &str,
    last: &str,
    external_id: Option<&str>,
) -> perdiem::domain::client::NewClient {
    ClientInput {
        first_name: Some(first.into()),
        last_name: Some(last.into()),
        date_of_birth: Some("1990-05-06".into()),
        sex: Some("M".into()),
        external_id: external_id.map(str::to_string),
        ..ClientInput::default()
    }
    // As stored rows are read: `Li_n` (for the search's escaping of `_`) is refused where names
    // are entered now, but a database from before that rule holds such names.
    .parse_stored(today())
    .unwrap()
}

#[tokio::test]
async fn users_are_inserted_found_listed_and_updated() {
    let db = fresh_db().await;
    let mut tx = db.begin().await.unwrap();
    let id = UserId::new();
    let user = users::insert(
        &mut tx,
        id,
        "casey",
        "hash-1",
        &[Role::Billing, Role::Admin],
    )
    .await
    .unwrap();
    assert_eq!(user.roles, vec![Role::Admin, Role::Billing]);
    assert!(user.active);
    tx.commit().await.unwrap();
    // A violation aborts a PostgreSQL transaction, so it gets one of its own.
    let mut tx = db.begin().await.unwrap();
    let duplicate = users::insert(&mut tx, UserId::new(), "casey", "hash-2", &[Role::Admin]).await;
    assert!(duplicate.unwrap_err().is_unique_violation());
    drop(tx);

    let mut tx = db.begin().await.unwrap();
    assert_eq!(users::find(&mut tx, id).await.unwrap().unwrap(), user);
    assert_eq!(
        users::find_by_username(&mut tx, "casey")
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );
    assert!(users::find_by_username(&mut tx, "nobody")
        .await
        .unwrap()
        .is_none());
    let changed = users::update(
        &mut tx,
        id,
        UserChanges {
            roles: Some(vec![Role::Admissions]),
            active: Some(false),
            password_hash: Some("hash-3".into()),
        },
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(changed.roles, vec![Role::Admissions]);
    assert!(!changed.active);
    assert_eq!(changed.password_hash, "hash-3");
    assert!(
        users::update(&mut tx, UserId::new(), UserChanges::default())
            .await
            .unwrap()
            .is_none()
    );
    users::insert(&mut tx, UserId::new(), "alex", "h", &[Role::Admin])
        .await
        .unwrap();
    let (listed, total) = users::list(
        &mut tx,
        Page {
            limit: 1,
            offset: 0,
        },
    )
    .await
    .unwrap();
    assert_eq!(total, 2);
    assert_eq!(listed[0].username, "alex");
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn login_attempts_are_reserved_up_to_the_maximum_lock_and_clear_on_success() {
    use login_throttle::Attempt::{Refused, Reserved};
    let db = fresh_db().await;
    let policy = ThrottlePolicy {
        max_failures: 3,
        window: Duration::minutes(15),
        lockout: Duration::minutes(5),
    };
    let at = perdiem::store::now();
    let mut tx = db.begin().await.unwrap();
    let mut reserve = async |username: &str, at| {
        login_throttle::reserve(&mut tx, username, at, policy)
            .await
            .unwrap()
    };
    for _ in 0..3 {
        assert_eq!(reserve("sam", at).await, Reserved);
    }
    // The third locked the name at once, before anyone knew how its check would end.
    let locked = Refused {
        retry_after_seconds: 300,
    };
    assert_eq!(reserve("sam", at).await, locked);
    assert_eq!(
        reserve("sam", at + Duration::minutes(4)).await,
        Refused {
            retry_after_seconds: 60,
        }
    );
    // After the lock, a new count.
    let later = at + Duration::minutes(6);
    for _ in 0..3 {
        assert_eq!(reserve("sam", later).await, Reserved);
    }
    assert!(matches!(reserve("sam", later).await, Refused { .. }));

    // Attempts outside the window start the count again.
    assert_eq!(reserve("kim", at).await, Reserved);
    assert_eq!(reserve("kim", at).await, Reserved);
    let much_later = at + Duration::minutes(20);
    for _ in 0..3 {
        assert_eq!(reserve("kim", much_later).await, Reserved);
    }
    assert!(matches!(reserve("kim", much_later).await, Refused { .. }));

    // An allowance spent under a lowered maximum waits out its window.
    assert_eq!(reserve("lee", at).await, Reserved);
    assert_eq!(reserve("lee", at).await, Reserved);
    let stricter = ThrottlePolicy {
        max_failures: 2,
        ..policy
    };
    assert_eq!(
        login_throttle::reserve(&mut tx, "lee", at, stricter)
            .await
            .unwrap(),
        Refused {
            retry_after_seconds: 900
        }
    );

    assert!(login_throttle::locked_for(&mut tx, "sam", later)
        .await
        .unwrap()
        .is_some());
    login_throttle::clear(&mut tx, "sam").await.unwrap();
    assert_eq!(
        login_throttle::locked_for(&mut tx, "sam", later)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        login_throttle::reserve(&mut tx, "sam", later, policy)
            .await
            .unwrap(),
        Reserved
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn payers_are_inserted_found_filtered_and_updated() {
    let db = fresh_db().await;
    let key = SecretKey::generate();
    let mut tx = db.begin().await.unwrap();
    let payer = |name: &str, id: &str| {
        PayerInput {
            name: Some(name.into()),
            payer_id: Some(id.into()),
            connection: None,
            billing: None,
        }
        .parse()
        .unwrap()
    };
    let aetna = payers::insert(&mut tx, &key, PayerId::new(), &payer("Aetna", "60054"))
        .await
        .unwrap();
    payers::insert(&mut tx, &key, PayerId::new(), &payer("Cigna", "62308"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    assert!(
        payers::insert(&mut tx, &key, PayerId::new(), &payer("Again", "60054"))
            .await
            .unwrap_err()
            .is_unique_violation()
    );
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    let id = aetna.id.to_string();
    assert_eq!(
        payers::find(&mut tx, &key, id.parse::<PayerId>().unwrap())
            .await
            .unwrap()
            .unwrap(),
        aetna
    );
    let (found, total) = payers::list(&mut tx, &key, Some("ign"), PAGE)
        .await
        .unwrap();
    assert_eq!((found.len(), total), (1, 1));
    assert_eq!(found[0].data.name.as_str(), "Cigna");
    let (_, total) = payers::list(&mut tx, &key, None, PAGE).await.unwrap();
    assert_eq!(total, 2);
    let renamed = payers::update(
        &mut tx,
        &key,
        id.parse::<PayerId>().unwrap(),
        &payer("Aetna Inc", "60054"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(renamed.data.name.as_str(), "Aetna Inc");
    assert!(
        payers::update(&mut tx, &key, PayerId::new(), &payer("X", "XX"))
            .await
            .unwrap()
            .is_none()
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn clients_are_inserted_found_searched_and_updated() {
    let db = fresh_db().await;
    let mut tx = db.begin().await.unwrap();
    let ana = clients::insert(
        &mut tx,
        ClientId::new(),
        &client("Ana", "Lopez", Some("MRN-1")),
    )
    .await
    .unwrap();
    clients::insert(&mut tx, ClientId::new(), &client("Lorenzo", "Diaz", None))
        .await
        .unwrap();
    clients::insert(&mut tx, ClientId::new(), &client("Bo", "Li_n", None))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = db.begin().await.unwrap();
    assert!(clients::insert(
        &mut tx,
        ClientId::new(),
        &client("Other", "Person", Some("MRN-1"))
    )
    .await
    .unwrap_err()
    .is_unique_violation());
    drop(tx);
    let mut tx = db.begin().await.unwrap();
    let id = ana.id;
    assert_eq!(clients::find(&mut tx, id).await.unwrap().unwrap(), ana);

    let search = |name: Option<&str>, external: Option<&str>| ClientSearch {
        name: name.map(str::to_string),
        date_of_birth: None,
        external_id: external.map(str::to_string),
    };
    let (_, total) = clients::search(&mut tx, &search(Some("LO"), None), PAGE)
        .await
        .unwrap();
    assert_eq!(total, 2);
    let (found, _) = clients::search(&mut tx, &search(None, Some("MRN-1")), PAGE)
        .await
        .unwrap();
    assert_eq!(found[0].id, ana.id);
    let (_, total) = clients::search(&mut tx, &search(Some("li_"), None), PAGE)
        .await
        .unwrap();
    assert_eq!(total, 1, "underscore is literal");
    let (_, total) = clients::search(&mut tx, &search(Some("l_"), None), PAGE)
        .await
        .unwrap();
    assert_eq!(total, 0, "underscore is not a wildcard");
    let by_birth = ClientSearch {
        date_of_birth: NaiveDate::from_ymd_opt(1990, 5, 6),
        ..ClientSearch::default()
    };
    let (_, total) = clients::search(&mut tx, &by_birth, PAGE).await.unwrap();
    assert_eq!(total, 3);

    let renamed = clients::update(&mut tx, id, &client("Ana", "Lopez-Garcia", None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.data.last_name.as_str(), "Lopez-Garcia");
    assert_eq!(renamed.data.external_id, None);
    assert_eq!(renamed.created_at, ana.created_at);
    assert!(
        clients::update(&mut tx, ClientId::new(), &client("A", "B", None))
            .await
            .unwrap()
            .is_none()
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn coverages_are_inserted_found_listed_and_updated() {
    let db = fresh_db().await;
    let key = SecretKey::generate();
    let mut tx = db.begin().await.unwrap();
    let payer = payers::insert(
        &mut tx,
        &key,
        PayerId::new(),
        &PayerInput {
            name: Some("Aetna".into()),
            payer_id: Some("60054".into()),
            connection: None,
            billing: None,
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    let owner = clients::insert(&mut tx, ClientId::new(), &client("Ana", "Lopez", None))
        .await
        .unwrap();
    let coverage = |priority: &str, relationship: &str| {
        CoverageInput {
            payer_id: Some(payer.id.to_string()),
            member_id: Some("M-1".into()),
            relationship: Some(relationship.into()),
            priority: Some(priority.into()),
            subscriber: (relationship != "self").then(|| {
                perdiem::domain::coverage::SubscriberInput {
                    first_name: Some("Luis".into()),
                    last_name: Some("Lopez".into()),
                    date_of_birth: Some("1980-01-01".into()),
                    sex: Some("M".into()),
                }
            }),
            effective_date: Some("2026-01-01".into()),
            ..CoverageInput::default()
        }
        .parse(today())
        .unwrap()
    };
    let secondary = coverages::insert(
        &mut tx,
        CoverageId::new(),
        owner.id,
        &coverage("secondary", "spouse"),
    )
    .await
    .unwrap();
    let primary = coverages::insert(
        &mut tx,
        CoverageId::new(),
        owner.id,
        &coverage("primary", "self"),
    )
    .await
    .unwrap();
    let owner_id = owner.id;
    let found = coverages::find(&mut tx, owner_id, secondary.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, secondary);
    assert!(coverages::find(&mut tx, ClientId::new(), secondary.id)
        .await
        .unwrap()
        .is_none());
    let (listed, total) = coverages::list(&mut tx, owner_id, PAGE).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(listed[0].id, primary.id, "primary first");
    let updated = coverages::update(
        &mut tx,
        owner_id,
        secondary.id,
        &coverage("tertiary", "self"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(updated.data.coverage.subscriber, None);
    assert!(coverages::update(
        &mut tx,
        owner_id,
        CoverageId::new(),
        &coverage("primary", "self")
    )
    .await
    .unwrap()
    .is_none());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn authorizations_keep_their_extensions_and_derive_the_current_figures() {
    let db = fresh_db().await;
    let key = SecretKey::generate();
    let mut tx = db.begin().await.unwrap();
    let payer = payers::insert(
        &mut tx,
        &key,
        PayerId::new(),
        &PayerInput {
            name: Some("Aetna".into()),
            payer_id: Some("60054".into()),
            connection: None,
            billing: None,
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    let coverage = CoverageInput {
        payer_id: Some(payer.id.to_string()),
        member_id: Some("M-1".into()),
        relationship: Some("self".into()),
        priority: Some("primary".into()),
        ..CoverageInput::default()
    }
    .parse(today())
    .unwrap();
    let mut owners = Vec::new();
    for name in ["Ana", "Ben"] {
        let client = clients::insert(&mut tx, ClientId::new(), &client(name, "Lopez", None))
            .await
            .unwrap();
        let covered = coverages::insert(&mut tx, CoverageId::new(), client.id, &coverage)
            .await
            .unwrap();
        owners.push((client.id.as_uuid(), covered.id.as_uuid()));
    }
    let [(ana, anas_coverage), (_, bens_coverage)] = <[_; 2]>::try_from(owners).unwrap();
    let (ana_id, anas_coverage_id) = (
        ClientId::from_uuid(ana),
        CoverageId::from_uuid(anas_coverage),
    );
    let biller = users::insert(&mut tx, UserId::new(), "casey", "hash-1", &[Role::Billing])
        .await
        .unwrap();
    // Authorizations still name their author by the staff member's bare UUID.
    let biller_id = biller.id.as_uuid();
    assert_eq!(
        coverages::lock(&mut tx, CoverageId::from_uuid(anas_coverage))
            .await
            .unwrap(),
        Some(ClientId::from_uuid(ana))
    );
    assert_eq!(
        coverages::lock(&mut tx, CoverageId::new()).await.unwrap(),
        None
    );

    let terms = |coverage_id: uuid::Uuid| {
        AuthorizationInput {
            client_id: Some(ana.to_string()),
            coverage_id: Some(coverage_id.to_string()),
            level_of_care: Some("PHP".into()),
            program: Some("mental_health".into()),
            authorization_number: Some("PA-1".into()),
            start_date: Some("2026-03-02".into()),
            end_date: Some("2026-03-13".into()),
            days_approved: Some(10),
            status: Some("approved".into()),
            ..AuthorizationInput::default()
        }
        .parse()
        .unwrap()
    };
    let inserted = authorizations::insert(
        &mut tx,
        AuthorizationId::new(),
        biller_id,
        &terms(anas_coverage),
    )
    .await
    .unwrap();
    let id = inserted.id;
    let found = authorizations::find(&mut tx, id).await.unwrap().unwrap();
    assert_eq!(found, inserted);
    let extension = |days: i64, end: Option<&str>| {
        ExtensionInput {
            effective_date: Some("2026-03-11".into()),
            days_added: Some(days),
            new_end_date: end.map(str::to_string),
            ..ExtensionInput::default()
        }
        .parse()
        .unwrap()
    };
    for (days, end) in [(5, Some("2026-03-20")), (2, None), (0, Some("2026-03-24"))] {
        authorizations::add_extension(&mut tx, new_id(), id, biller_id, &extension(days, end))
            .await
            .unwrap()
            .unwrap();
    }
    let extended = authorizations::find(&mut tx, id).await.unwrap().unwrap();
    let days: Vec<u32> = extended
        .extensions
        .iter()
        .map(|e| e.extension.days_added)
        .collect();
    assert_eq!(days, [5, 2, 0], "in the order recorded");
    assert_eq!(extended.current().days_approved, 17);
    assert_eq!(
        extended.terms, inserted.terms,
        "the initial decision is kept"
    );
    assert!(authorizations::add_extension(
        &mut tx,
        new_id(),
        AuthorizationId::new(),
        biller_id,
        &extension(1, None)
    )
    .await
    .unwrap()
    .is_none());

    // The SQL filter and the domain agree on the current window.
    let on = |day: &str| AuthorizationFilter {
        active_on: Some(NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap()),
        level_of_care: Some(LevelOfCare::Php),
        ..AuthorizationFilter::default()
    };
    for (day, expected) in [
        ("2026-03-02", 1),
        ("2026-03-24", 1),
        ("2026-03-25", 0),
        ("2026-03-01", 0),
    ] {
        let (_, total) = authorizations::list(&mut tx, &on(day), PAGE).await.unwrap();
        assert_eq!(total, expected, "{day}");
    }
    assert_eq!(extended.window().end.to_string(), "2026-03-24");

    let active =
        authorizations::active_at_level(&mut tx, ana_id, anas_coverage_id, LevelOfCare::Php)
            .await
            .unwrap();
    assert_eq!(active, std::slice::from_ref(&extended));
    let mut expired = extended.terms.clone();
    expired.status = AuthorizationStatus::Expired;
    let updated = authorizations::update(&mut tx, id, &expired)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.terms.status, AuthorizationStatus::Expired);
    assert_eq!(updated.extensions, extended.extensions);
    assert!(
        authorizations::active_at_level(&mut tx, ana_id, anas_coverage_id, LevelOfCare::Php)
            .await
            .unwrap()
            .is_empty()
    );
    tx.commit().await.unwrap();

    // The schema itself refuses another client's coverage.
    let mut tx = db.begin().await.unwrap();
    let refused = authorizations::insert(
        &mut tx,
        AuthorizationId::new(),
        biller_id,
        &terms(bens_coverage),
    )
    .await;
    assert!(refused.is_err(), "a coverage of another client is refused");
}

#[tokio::test]
async fn audit_events_are_recorded_and_filtered() {
    let db = fresh_db().await;
    let mut tx = db.begin().await.unwrap();
    let start = perdiem::store::now();
    for (user, action, entity) in [
        ("u1", Action::Create, "c1"),
        ("u1", Action::Read, "c1"),
        ("u2", Action::Read, "c2"),
    ] {
        audit::record(
            &mut tx,
            &AuditEntry {
                user_id: Some(user),
                action,
                entity_type: "client",
                entity_id: Some(entity),
                ip: Some("10.0.0.9"),
                request_id: "req-1",
            },
        )
        .await
        .unwrap();
    }
    let filter = |f: AuditFilter| f;
    let (all, total) = audit::list(&mut tx, &AuditFilter::default(), PAGE)
        .await
        .unwrap();
    assert_eq!(total, 3);
    assert_eq!(all[0].entity_id.as_deref(), Some("c2"), "newest first");
    let (_, total) = audit::list(
        &mut tx,
        &filter(AuditFilter {
            user_id: Some("u1".into()),
            action: Some(Action::Read),
            ..AuditFilter::default()
        }),
        PAGE,
    )
    .await
    .unwrap();
    assert_eq!(total, 1);
    let (_, total) = audit::list(
        &mut tx,
        &AuditFilter {
            entity_id: Some("c1".into()),
            from: Some(start - Duration::seconds(1)),
            to: Some(perdiem::store::now() + Duration::seconds(1)),
            ..AuditFilter::default()
        },
        PAGE,
    )
    .await
    .unwrap();
    assert_eq!(total, 2);
    let (_, total) = audit::list(
        &mut tx,
        &AuditFilter {
            from: Some(perdiem::store::now() + Duration::seconds(1)),
            ..AuditFilter::default()
        },
        PAGE,
    )
    .await
    .unwrap();
    assert_eq!(total, 0);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn the_database_answers_a_ping_and_reports_its_backend() {
    let db = fresh_db().await;
    db.ping().await.unwrap();
    let expected = if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(db.backend(), expected);
}

/// SQLite commits leave the write-ahead log alone (`wal_autocheckpoint = 0`); `checkpoint`
/// copies it into the database file. PostgreSQL: a no-op that succeeds.
#[tokio::test]
async fn sqlite_checkpoints_when_asked_not_on_commit() {
    let db = fresh_db().await;
    let perdiem::store::Db::Sqlite(sqlite) = &db else {
        db.checkpoint().await.unwrap();
        return;
    };
    let pool = sqlite.pool();
    let (every,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(every, 0, "commits do not checkpoint");
    db.checkpoint().await.unwrap();
    let (_, _, file): (i64, String, String) = sqlx::query_as("PRAGMA database_list")
        .fetch_one(pool)
        .await
        .unwrap();
    let size = || std::fs::metadata(&file).unwrap().len();
    let before = size();
    let mut tx = db.begin().await.unwrap();
    let hash = "h".repeat(200);
    for n in 0..500 {
        users::insert(
            &mut tx,
            UserId::new(),
            &format!("user{n}"),
            &hash,
            &[Role::Billing],
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        size(),
        before,
        "the commit is in the log, not the database file"
    );
    db.checkpoint().await.unwrap();
    assert!(
        size() > before,
        "the checkpoint copied the log into the database file"
    );
}

/// The running server checkpoints on its own: what is written through the API reaches the
/// database file within seconds, though no commit checkpoints and no request asks.
#[tokio::test]
async fn the_server_checkpoints_sqlite_in_the_background() {
    let app = crate::helpers::spawn_app().await;
    let perdiem::store::Db::Sqlite(sqlite) = &app.db else {
        return;
    };
    let pool = sqlite.pool();
    let (_, _, file): (i64, String, String) = sqlx::query_as("PRAGMA database_list")
        .fetch_one(pool)
        .await
        .unwrap();
    let size = || std::fs::metadata(&file).unwrap().len();
    let before = size();
    for _ in 0..40 {
        app.create_payer().await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while size() == before {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint reached the database file in 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A claim of `client` on `coverage` in `status`, without lines.
fn bare_claim(
    number: &str,
    client: ClientId,
    coverage: CoverageId,
    payer: PayerId,
    user: UserId,
    status: ClaimStatus,
) -> ClaimRecord {
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let at = perdiem::store::now();
    ClaimRecord {
        id: new_id(),
        claim_number: number.into(),
        client_id: client.into(),
        coverage_id: coverage.into(),
        payer_id: payer.into(),
        level_of_care: LevelOfCare::Iop,
        authorization_id: None,
        authorization_number: None,
        period_from: day,
        period_through: day,
        statement_from: day,
        statement_through: day,
        claim_form: "837I".into(),
        type_of_bill: Some("0131".into()),
        place_of_service: None,
        condition_codes: Vec::new(),
        principal_diagnosis: "F33.1".into(),
        other_diagnoses: Vec::new(),
        discharge_status: "30".into(),
        total_charge: Money::from_minor_units(33_333).unwrap(),
        expected_reimbursement: None,
        status,
        frequency: Frequency::Original,
        original_claim_id: None,
        payer_claim_number: None,
        line_count: 0,
        warnings: Vec::new(),
        lines: None,
        created_by: user.into(),
        created_at: at,
        updated_at: at,
    }
}

/// `claims::move_claims` moves each claim only from the status it was read in: one changed
/// meanwhile is skipped (not moved, no event, its payer claim number untouched), the others
/// move with their events and notes in one pass, and a move without a payer claim number keeps
/// the one the claim has.
#[tokio::test]
async fn a_bulk_move_skips_a_claim_no_longer_in_its_from_status() {
    let db = fresh_db().await;
    let key = SecretKey::generate();
    let mut tx = db.begin().await.unwrap();
    let user = UserId::new();
    users::insert(&mut tx, user, "casey", "hash-1", &[Role::Billing])
        .await
        .unwrap();
    let payer = payers::insert(
        &mut tx,
        &key,
        PayerId::new(),
        &PayerInput {
            name: Some("Aetna".into()),
            payer_id: Some("60054".into()),
            connection: None,
            billing: None,
        }
        .parse()
        .unwrap(),
    )
    .await
    .unwrap();
    let owner = clients::insert(&mut tx, ClientId::new(), &client("Ana", "Lopez", None))
        .await
        .unwrap();
    let coverage = coverages::insert(
        &mut tx,
        CoverageId::new(),
        owner.id,
        &CoverageInput {
            payer_id: Some(payer.id.to_string()),
            member_id: Some("M-1".into()),
            relationship: Some("self".into()),
            priority: Some("primary".into()),
            effective_date: Some("2026-01-01".into()),
            ..CoverageInput::default()
        }
        .parse(today())
        .unwrap(),
    )
    .await
    .unwrap();
    let claim = |number: &str| {
        bare_claim(
            number,
            owner.id,
            coverage.id,
            payer.id,
            user,
            ClaimStatus::Submitted,
        )
    };
    let (a, b, mut c) = (claim("PD1"), claim("PD2"), claim("PD3"));
    c.payer_claim_number = Some("PAYER-3".into());
    let new = |record| NewClaim { record, lines: &[] };
    claims::insert(&mut tx, &[new(&a), new(&b), new(&c)])
        .await
        .unwrap();
    // B changes after the acknowledgment read it as submitted.
    assert!(claims::set_status(
        &mut tx,
        b.id,
        ClaimStatus::Submitted,
        ClaimStatus::Received,
        None,
        Some("999 accepted"),
        user.into(),
    )
    .await
    .unwrap());

    let at = perdiem::store::now();
    let moves = [
        StatusMove {
            claim_id: a.id,
            from: ClaimStatus::Submitted,
            to: ClaimStatus::Accepted,
            payer_claim_number: Some("PAYER-1"),
            note: "277CA: A2 accepted".into(),
        },
        StatusMove {
            claim_id: b.id,
            from: ClaimStatus::Submitted,
            to: ClaimStatus::Accepted,
            payer_claim_number: Some("PAYER-2"),
            note: "277CA: A2 accepted".into(),
        },
        StatusMove {
            claim_id: c.id,
            from: ClaimStatus::Submitted,
            to: ClaimStatus::Rejected,
            payer_claim_number: None,
            note: "277CA: A3 returned".into(),
        },
    ];
    let moved = claims::move_claims(&mut tx, &moves, user.into(), at)
        .await
        .unwrap();
    assert_eq!(moved, HashSet::from([a.id, c.id]));

    let shown = |record: ClaimRecord| (record.status, record.payer_claim_number);
    let found = claims::find_many(&mut tx, &[a.id, b.id, c.id])
        .await
        .unwrap();
    let found: Vec<_> = found.into_iter().map(shown).collect();
    assert_eq!(
        found,
        vec![
            (ClaimStatus::Accepted, Some("PAYER-1".to_string())),
            (ClaimStatus::Received, None),
            (ClaimStatus::Rejected, Some("PAYER-3".to_string())),
        ]
    );
    let last_event = |events: Vec<ClaimEvent>| {
        let e = events.last().unwrap().clone();
        (e.from_status, e.to_status, e.note, e.at)
    };
    assert_eq!(
        last_event(claims::events(&mut tx, a.id).await.unwrap()),
        (
            Some("submitted".to_string()),
            "accepted".to_string(),
            Some("277CA: A2 accepted".to_string()),
            at
        )
    );
    let b_events = claims::events(&mut tx, b.id).await.unwrap();
    assert_eq!(b_events.len(), 1, "only its own move: {b_events:?}");
    assert_eq!(b_events[0].to_status, "received");
    assert_eq!(
        last_event(claims::events(&mut tx, c.id).await.unwrap()).2,
        Some("277CA: A3 returned".to_string())
    );
    assert!(claims::move_claims(&mut tx, &[], user.into(), at)
        .await
        .unwrap()
        .is_empty());
    tx.commit().await.unwrap();
}
