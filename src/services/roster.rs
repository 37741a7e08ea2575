//! Tomorrow's callers, as admissions lists them (name, birth date, payer, member id), matched
//! to the clients and coverages on file, or entered as new ones, so that a verification batch
//! can ask about each.
//!
//! A caller is the client with the same name (any case, trimmed) and birth date; two such
//! clients are an ambiguity that staff settle, never a guess. The coverage is the client's with
//! the same payer and member id (any case). A client or coverage that is not on file is created
//! through the same domain parsers as the API and the enrollment form (`ClientInput`,
//! `CoverageInput`), so a list cannot store what a person could not type.
//!
//! Everything happens in the caller's write transaction; the caller audits what the
//! [`Matched`] rows name and commits. The look-ups are two indexed queries for the whole list
//! (clients by birth date, then their coverages), not one per caller.

use chrono::NaiveDate;

use crate::domain::client::{ClientInput, NewClient};
use crate::domain::coverage::CoverageInput;
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::ids::{ClientId, CoverageId, PayerId};
use crate::domain::validation::Invalid;
use crate::store::clients::{self, Client as StoredClient};
use crate::store::coverages::{self, Coverage};
use crate::store::payers::Payer;
use crate::store::{StoreResult, Tx};

/// One caller of the list, read but not yet matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: NaiveDate,
    /// `F`, `M` or `U`; a list rarely says, and a new client is then `U` (unknown).
    pub sex: Option<String>,
    /// The payer as typed: its record id, its EDI payer id, or its name.
    pub payer: String,
    pub member_id: String,
    pub group_number: Option<String>,
    pub levels: Vec<LevelOfCare>,
    pub program: Program,
}

impl Caller {
    /// The levels as a batch item keeps them: sorted, comma-separated (`IOP,PHP`), as the
    /// API's batch items are.
    pub fn levels_of_care(&self) -> String {
        let mut names: Vec<&str> = self.levels.iter().map(|l| l.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.join(",")
    }
}

/// Whether a record was found or made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    OnFile,
    Created,
}

/// A caller matched (or entered) as a client and a coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub client_id: ClientId,
    pub coverage_id: CoverageId,
    pub client: Found,
    pub coverage: Found,
}

/// The payers a list may name, each by its record id, its EDI payer id or its name.
pub struct Payers<'a>(&'a [Payer]);

impl<'a> Payers<'a> {
    pub fn new(payers: &'a [Payer]) -> Payers<'a> {
        Payers(payers)
    }

    /// The payer `typed` names, or why none is chosen.
    pub fn find(&self, typed: &str) -> Result<PayerId, String> {
        let typed = typed.trim();
        if let Some(payer) = self.0.iter().find(|p| {
            p.id.to_string().eq_ignore_ascii_case(typed)
                || p.data.payer_id.as_str().eq_ignore_ascii_case(typed)
        }) {
            return Ok(payer.id);
        }
        let folded = fold(typed);
        let named: Vec<&Payer> = self
            .0
            .iter()
            .filter(|p| fold(p.data.name.as_str()) == folded)
            .collect();
        match named.as_slice() {
            [payer] => Ok(payer.id),
            [] => Err(format!(
                "payer: no payer is named \"{typed}\"; use a name from the payer list or its payer id"
            )),
            _ => Err(format!(
                "payer: {} payers are named \"{typed}\"; use the payer id instead",
                named.len()
            )),
        }
    }
}

/// A name as it is compared: trimmed, inner spaces collapsed, any case.
fn fold(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What the list has found or made so far: the clients born on its callers' birth dates and
/// their coverages, those it created included (so a caller listed twice is matched, the second
/// time, to what the first line created).
struct Known {
    clients: Vec<StoredClient>,
    coverages: Vec<Coverage>,
}

/// Matches each caller, creating the clients and coverages that are not on file. Each answer
/// is the match or why the caller cannot be asked about (an ambiguity, an unknown payer, a
/// field the domain refuses), in the order of `callers`.
pub async fn match_or_create(
    tx: &mut Tx,
    callers: &[Caller],
    payers: &Payers<'_>,
    today: NaiveDate,
) -> StoreResult<Vec<Result<Matched, String>>> {
    let mut dates: Vec<NaiveDate> = callers.iter().map(|c| c.date_of_birth).collect();
    dates.sort_unstable();
    dates.dedup();
    let clients = clients::born_on(tx, &dates).await?;
    let ids: Vec<ClientId> = clients.iter().map(|c| c.id).collect();
    let coverages = coverages::of_clients(tx, &ids).await?;
    let mut known = Known { clients, coverages };
    let mut answers = Vec::with_capacity(callers.len());
    for caller in callers {
        answers.push(match_one(tx, caller, payers, today, &mut known).await?);
    }
    Ok(answers)
}

/// The client a caller is: one on file, or a new one to store.
enum Client {
    OnFile(ClientId),
    New(Box<NewClient>),
}

/// One caller: the client, then the coverage, each found or created. Both are parsed before
/// either is stored, so a refused caller leaves nothing behind.
async fn match_one(
    tx: &mut Tx,
    caller: &Caller,
    payers: &Payers<'_>,
    today: NaiveDate,
    known: &mut Known,
) -> StoreResult<Result<Matched, String>> {
    let payer_id = match payers.find(&caller.payer) {
        Ok(id) => id,
        Err(reason) => return Ok(Err(reason)),
    };
    let first = fold(&caller.first_name);
    let last = fold(&caller.last_name);
    let same: Vec<ClientId> = known
        .clients
        .iter()
        .filter(|c| {
            c.data.date_of_birth == caller.date_of_birth
                && fold(c.data.first_name.as_str()) == first
                && fold(c.data.last_name.as_str()) == last
        })
        .map(|c| c.id)
        .collect();
    let existing = match same.as_slice() {
        [id] => Some(*id),
        [] => None,
        several => {
            return Ok(Err(format!(
                "{} clients have this name and birth date; open the right one from Verify \
                 benefits and verify there",
                several.len()
            )))
        }
    };
    let member = caller.member_id.trim();
    let theirs: Vec<&Coverage> = known
        .coverages
        .iter()
        .filter(|c| Some(c.data.client_id) == existing)
        .collect();
    let found = theirs.iter().find(|c| {
        c.data.coverage.payer_id == payer_id
            && c.data
                .coverage
                .member_id
                .as_str()
                .eq_ignore_ascii_case(member)
    });
    if let (Some(client_id), Some(coverage)) = (existing, found) {
        return Ok(Ok(Matched {
            client_id,
            coverage_id: coverage.id,
            client: Found::OnFile,
            coverage: Found::OnFile,
        }));
    }
    // A list names the insurance the caller gave for this admission. The client is taken as
    // the policy holder (relationship `self`): the list has no holder's name or birth date,
    // and a spouse's or parent's plan is corrected on the client's page. A client's first
    // coverage is primary; one added beside those on file is secondary, for staff to reorder
    // there if the caller says otherwise.
    let priority = if theirs.is_empty() {
        "primary"
    } else {
        "secondary"
    };
    let coverage = CoverageInput {
        payer_id: Some(payer_id.to_string()),
        member_id: Some(member.to_string()),
        group_number: caller.group_number.clone(),
        relationship: Some("self".to_string()),
        priority: Some(priority.to_string()),
        ..CoverageInput::default()
    }
    .parse(today);
    let client = match existing {
        Some(id) => Ok(Client::OnFile(id)),
        None => ClientInput {
            first_name: Some(caller.first_name.trim().to_string()),
            last_name: Some(caller.last_name.trim().to_string()),
            date_of_birth: Some(caller.date_of_birth.to_string()),
            // The list does not say: unknown (X12 DMG03 `U`), corrected on the client's page
            // once the caller says.
            sex: Some(caller.sex.clone().unwrap_or_else(|| "U".to_string())),
            ..ClientInput::default()
        }
        .parse(today)
        .map(|new| Client::New(Box::new(new))),
    };
    let (client, coverage) = match (client, coverage) {
        (Ok(client), Ok(coverage)) => (client, coverage),
        (client, coverage) => {
            let mut invalid = Invalid(Vec::new());
            invalid.0.extend(client.err().into_iter().flat_map(|i| i.0));
            invalid
                .0
                .extend(coverage.err().into_iter().flat_map(|i| i.0));
            return Ok(Err(why(invalid)));
        }
    };
    let (client_id, client_found) = match client {
        Client::OnFile(id) => (id, Found::OnFile),
        Client::New(new) => {
            let stored = clients::insert(tx, ClientId::new(), &new).await?;
            let id = stored.id;
            known.clients.push(stored);
            (id, Found::Created)
        }
    };
    let stored = coverages::insert(tx, CoverageId::new(), client_id, &coverage).await?;
    let coverage_id = stored.id;
    known.coverages.push(stored);
    Ok(Ok(Matched {
        client_id,
        coverage_id,
        client: client_found,
        coverage: Found::Created,
    }))
}

/// A domain refusal in words, each field named as a coordinator reads it.
fn why(invalid: Invalid) -> String {
    invalid
        .0
        .iter()
        .map(|e| format!("{}: {}", e.field.replace('_', " "), e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::payer::PayerInput;
    use crate::store::Stored;

    fn payer(name: &str, edi: &str) -> Payer {
        let data = PayerInput {
            name: Some(name.into()),
            payer_id: Some(edi.into()),
            ..PayerInput::default()
        }
        .parse()
        .unwrap();
        let at = chrono::Utc::now();
        Stored::from_parts(PayerId::new(), data, at, at)
    }

    #[test]
    fn a_payer_is_named_by_its_id_its_payer_id_or_its_name_and_never_guessed() {
        let list = [
            payer("Blue Plan of Texas", "BPTX1"),
            payer("Aetna", "60054"),
            payer("Aetna", "AETNA2"),
        ];
        let payers = Payers::new(&list);
        assert_eq!(payers.find("  blue   plan of TEXAS "), Ok(list[0].id));
        assert_eq!(payers.find("bptx1"), Ok(list[0].id));
        assert_eq!(payers.find(&list[1].id.to_string()), Ok(list[1].id));
        assert_eq!(payers.find("60054"), Ok(list[1].id));
        let twice = payers.find("aetna").unwrap_err();
        assert!(twice.contains("2 payers are named"), "{twice}");
        let unknown = payers.find("Nobody Health").unwrap_err();
        assert!(
            unknown.contains("no payer is named \"Nobody Health\""),
            "{unknown}"
        );
    }

    #[test]
    fn levels_are_kept_as_batch_items_keep_them() {
        let caller = Caller {
            first_name: "Ana".into(),
            last_name: "Lopez".into(),
            date_of_birth: NaiveDate::from_ymd_opt(1988, 4, 12).unwrap(),
            sex: None,
            payer: "Aetna".into(),
            member_id: "XYZ1".into(),
            group_number: None,
            levels: vec![LevelOfCare::Php, LevelOfCare::Iop],
            program: Program::MentalHealth,
        };
        assert_eq!(caller.levels_of_care(), "IOP,PHP");
    }
}
