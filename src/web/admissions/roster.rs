//! Reading the list of tomorrow's assessments as a coordinator types or exports it: a CSV with
//! a header row naming first name, last name, birth date, payer and member id (any case and
//! spacing: `First Name`, `first_name`, `DOB` …), and optionally levels (IOP, PHP or both;
//! both when empty), program (mental health when empty, or substance use), sex and group
//! number. Dates as the other forms take them (`MM/DD/YYYY` or `YYYY-MM-DD`, `format`).
//!
//! Pure: each data line becomes a [`Caller`] or the reason it cannot be one, beside its line
//! number and text; matching to the records on file is `services::roster`'s.

use chrono::NaiveDate;

use crate::domain::coverage::MemberId;
use crate::domain::eligibility::{LevelOfCare, Program};
use crate::domain::person::parse_birth_date;
use crate::services::roster::Caller;
use crate::web::format;

/// The columns a list may have: the name used in messages, then the header names taken for it
/// (compared after [`header_key`]).
const COLUMNS: &[(&str, &[&str])] = &[
    (
        "first name",
        &["first name", "first", "firstname", "given name"],
    ),
    (
        "last name",
        &["last name", "last", "lastname", "surname", "family name"],
    ),
    (
        "birth date",
        &[
            "birth date",
            "birthdate",
            "date of birth",
            "dob",
            "birthday",
        ],
    ),
    (
        "payer",
        &["payer", "payer name", "payer id", "insurance", "insurer"],
    ),
    (
        "member id",
        &[
            "member id",
            "memberid",
            "member",
            "member number",
            "subscriber id",
            "insurance id",
        ],
    ),
    (
        "levels",
        &["levels", "level", "level of care", "levels of care", "loc"],
    ),
    ("program", &["program"]),
    ("sex", &["sex", "gender"]),
    ("group number", &["group number", "group", "group id"]),
];

/// The columns a list cannot do without.
const REQUIRED: [&str; 5] = [
    "first name",
    "last name",
    "birth date",
    "payer",
    "member id",
];

/// One line of the list: where it is, what it says, and the caller or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line number in the text (the header is line 1).
    pub number: u64,
    pub text: String,
    pub caller: Result<Caller, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub lines: Vec<Line>,
    /// Header columns that are none of ours, named so a typo does not go unseen.
    pub ignored_columns: Vec<String>,
}

/// A header name as compared: any case, `_`, `-` and `.` as spaces, spaces collapsed.
fn header_key(raw: &str) -> String {
    raw.trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace(['_', '-', '.'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads the list. The text as a whole is refused (with the reason) only when it has no
/// header naming the needed columns; each data line is a caller or a reason of its own.
pub fn read(text: &str, today: NaiveDate) -> Result<Roster, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| format!("the header row cannot be read: {e}"))?
        .clone();
    let mut at: Vec<(&'static str, usize)> = Vec::new();
    let mut ignored_columns = Vec::new();
    for (index, name) in header.iter().enumerate() {
        let key = header_key(name);
        match COLUMNS
            .iter()
            .find(|(_, names)| names.contains(&key.as_str()))
        {
            Some((column, _)) if at.iter().any(|(c, _)| c == column) => {
                return Err(format!("the header names the column {column} twice"));
            }
            Some((column, _)) => at.push((column, index)),
            None if key.is_empty() => {}
            None => ignored_columns.push(name.trim().to_string()),
        }
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|needed| !at.iter().any(|(c, _)| c == *needed))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the first line must name the columns; it lacks: {} (e.g. \"First name, Last name, \
             Birth date, Payer, Member id\")",
            missing.join(", ")
        ));
    }
    let source: Vec<&str> = text.lines().collect();
    let mut lines = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut counter = LineCounter::new(text.as_bytes());
    loop {
        let read = reader.read_record(&mut record);
        // The line where the record starts (its position may point at blank lines before it).
        let number = record.position().map_or(0, |at| {
            counter.line_at(usize::try_from(at.byte()).unwrap_or(usize::MAX))
        });
        let text_of = |n: u64| {
            usize::try_from(n)
                .ok()
                .and_then(|n| source.get(n.saturating_sub(1)))
                .map_or_else(String::new, |line| line.to_string())
        };
        match read {
            Ok(false) => break,
            Err(error) => {
                let number = error.position().map_or(number, |at| {
                    counter.line_at(usize::try_from(at.byte()).unwrap_or(usize::MAX))
                });
                lines.push(Line {
                    number,
                    text: text_of(number),
                    caller: Err(format!("is not readable CSV ({error})")),
                });
                break;
            }
            Ok(true) => {}
        }
        if record.iter().all(str::is_empty) {
            continue; // a blank line, as spreadsheets leave at the end
        }
        let cells = Cells {
            record: &record,
            at: &at,
        };
        let caller = if record.iter().any(|value| value.contains(['\n', '\r'])) {
            Err("a quoted value runs over several lines; close the quote on its own line".into())
        } else {
            caller(&cells, today)
        };
        lines.push(Line {
            number,
            text: text_of(number),
            caller,
        });
    }
    Ok(Roster {
        lines,
        ignored_columns,
    })
}

/// Line numbers of byte offsets, counted forward from the last offset asked about.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the first byte at or after `offset` that is not a line break.
    fn line_at(&mut self, offset: usize) -> u64 {
        let mut start = offset.min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start >= self.offset {
            let between = self.bytes.get(self.offset..start).unwrap_or_default();
            self.line +=
                u64::try_from(between.iter().filter(|b| **b == b'\n').count()).unwrap_or(0);
            self.offset = start;
        }
        self.line
    }
}

/// One record's values by column.
struct Cells<'a> {
    record: &'a csv::StringRecord,
    at: &'a [(&'static str, usize)],
}

impl<'a> Cells<'a> {
    /// The value of `column`, trimmed; empty when the line has none.
    fn get(&self, column: &str) -> &'a str {
        self.at
            .iter()
            .find(|(c, _)| *c == column)
            .and_then(|(_, index)| self.record.get(*index))
            .map_or("", str::trim)
    }
}

/// One data line's cells as a caller, or every reason it is not one (joined).
fn caller(cells: &Cells<'_>, today: NaiveDate) -> Result<Caller, String> {
    let cell = |column: &str| cells.get(column);
    let mut reasons = Vec::new();
    let mut required = |column: &str| {
        let value = cell(column);
        if value.is_empty() {
            reasons.push(format!("{column}: missing"));
        }
        value.to_string()
    };
    let first_name = required("first name");
    let last_name = required("last name");
    let birth = required("birth date");
    let payer = required("payer");
    let member = required("member id");
    let date_of_birth = if birth.is_empty() {
        None
    } else {
        match format::typed_date(&birth) {
            None => {
                reasons.push(format!("birth date: {}", format::date_error(&birth)));
                None
            }
            Some(iso) => parse_birth_date(iso, today)
                .map_err(|why| reasons.push(format!("birth date: {why}")))
                .ok(),
        }
    };
    if !member.is_empty() {
        if let Err(why) = MemberId::parse(member.clone()) {
            reasons.push(format!("member id: {why}"));
        }
    }
    let levels = levels(cell("levels")).map_err(|why| reasons.push(format!("levels: {why}")));
    let program = program(cell("program")).map_err(|why| reasons.push(format!("program: {why}")));
    let sex = match cell("sex").to_ascii_uppercase().as_str() {
        "" => None,
        "F" | "FEMALE" => Some("F".to_string()),
        "M" | "MALE" => Some("M".to_string()),
        "U" | "UNKNOWN" => Some("U".to_string()),
        _ => {
            reasons.push("sex: must be F, M or U (or empty)".into());
            None
        }
    };
    let group = cell("group number");
    match (date_of_birth, levels, program) {
        (Some(date_of_birth), Ok(levels), Ok(program)) if reasons.is_empty() => Ok(Caller {
            first_name,
            last_name,
            date_of_birth,
            sex,
            payer,
            member_id: member,
            group_number: (!group.is_empty()).then(|| group.to_string()),
            levels,
            program,
        }),
        _ => Err(reasons.join("; ")),
    }
}

/// `IOP`, `PHP`, or both (`both`, `IOP and PHP`, `IOP/PHP`, empty), any case.
fn levels(raw: &str) -> Result<Vec<LevelOfCare>, String> {
    let mut iop = false;
    let mut php = false;
    for word in raw
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        match word.to_ascii_lowercase().as_str() {
            "iop" => iop = true,
            "php" => php = true,
            "both" | "all" => (iop, php) = (true, true),
            "and" => {}
            _ => return Err("must be IOP, PHP or both".into()),
        }
    }
    Ok(match (iop, php) {
        (true, false) => vec![LevelOfCare::Iop],
        (false, true) => vec![LevelOfCare::Php],
        _ => vec![LevelOfCare::Iop, LevelOfCare::Php],
    })
}

/// Mental health (also when empty) or substance use, as people write them.
fn program(raw: &str) -> Result<Program, String> {
    match header_key(raw).as_str() {
        "" | "mental health" | "mh" => Ok(Program::MentalHealth),
        "substance use" | "su" | "sud" | "substance use disorder" | "substance abuse" => {
            Ok(Program::SubstanceUse)
        }
        _ => Err("must be mental health or substance use".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn headers_are_read_as_a_coordinator_types_them() {
        let text = "First Name , LAST_NAME,DOB, Payer,member-id,Level of care,Program,Notes\n\
                    Ana,Lopez,04/12/1988,Blue Plan,XYZ123,PHP,SUD,call after 2\n";
        let roster = read(text, today()).unwrap();
        assert_eq!(roster.ignored_columns, ["Notes"]);
        let line = &roster.lines[0];
        assert_eq!(line.number, 2);
        assert_eq!(
            line.text,
            "Ana,Lopez,04/12/1988,Blue Plan,XYZ123,PHP,SUD,call after 2"
        );
        let caller = line.caller.as_ref().unwrap();
        assert_eq!(caller.first_name, "Ana");
        assert_eq!(caller.date_of_birth, day(1988, 4, 12));
        assert_eq!(caller.payer, "Blue Plan");
        assert_eq!(caller.levels, [LevelOfCare::Php]);
        assert_eq!(caller.program, Program::SubstanceUse);
        assert_eq!(caller.sex, None);
    }

    #[test]
    fn levels_and_program_default_to_both_and_mental_health() {
        let text = "first name,last name,birth date,payer,member id\n\
                    Ana,Lopez,1988-04-12,Blue,XYZ123\n";
        let caller = read(text, today()).unwrap().lines[0]
            .caller
            .clone()
            .unwrap();
        assert_eq!(caller.levels, [LevelOfCare::Iop, LevelOfCare::Php]);
        assert_eq!(caller.program, Program::MentalHealth);
        assert_eq!(levels("IOP and PHP").unwrap().len(), 2);
        assert_eq!(levels("iop/php").unwrap().len(), 2);
        assert_eq!(levels(" iop ").unwrap(), [LevelOfCare::Iop]);
        assert!(levels("residential").is_err());
        assert_eq!(program("Mental_Health"), Ok(Program::MentalHealth));
        assert_eq!(program("Substance use"), Ok(Program::SubstanceUse));
        assert!(program("eating disorders").is_err());
    }

    #[test]
    fn each_bad_line_says_why_and_the_others_are_read() {
        let text = "first name,last name,birth date,payer,member id,levels\n\
                    Ana,Lopez,04/31/1988,Blue,XYZ123,\n\
                    Ben,Diaz,01/02/1899,Blue,XYZ124,\n\
                    Cy,Ng,01/02/1990,Blue,,\n\
                    \n\
                    Dee,Ray,1990-01-02,Blue,AB#1,detox\n\
                    Eve,Fox,3/4/1970,Blue,XYZ125,IOP\n";
        let roster = read(text, today()).unwrap();
        let reasons: Vec<(u64, Result<(), String>)> = roster
            .lines
            .iter()
            .map(|l| (l.number, l.caller.clone().map(|_| ())))
            .collect();
        assert_eq!(
            reasons,
            [
                (
                    2,
                    Err(
                        "birth date: not a day on the calendar; enter the date as MM/DD/YYYY"
                            .into()
                    )
                ),
                (3, Err("birth date: must not be before 1900-01-01".into())),
                (4, Err("member id: missing".into())),
                (
                    6,
                    Err(
                        "member id: must be 2 to 80 letters, digits or '-' (payers reject other \
                         characters); levels: must be IOP, PHP or both"
                            .into()
                    )
                ),
                (7, Ok(())),
            ]
        );
        assert_eq!(roster.lines[3].text, "Dee,Ray,1990-01-02,Blue,AB#1,detox");
    }

    #[test]
    fn a_list_without_the_needed_header_is_refused_whole() {
        let refused = read("Ana,Lopez,04/12/1988,Blue,XYZ123\n", today()).unwrap_err();
        assert!(
            refused.contains("lacks: first name, last name"),
            "{refused}"
        );
        let twice = read("first name,first,last name\n", today()).unwrap_err();
        assert_eq!(twice, "the header names the column first name twice");
    }
}
