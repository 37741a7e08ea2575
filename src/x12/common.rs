//! Segments shared by many 5010 transactions (NM1, N3/N4, PER, REF, DTP, AAA, PRV, TRN) as
//! typed structs, and the small reader that turns one [`SegmentRef`] into each of them.
//!
//! Codes stay as the strings sent (their meaning is the business layer's job); values with a
//! type (dates, decimals, closed Y/N lists) are parsed, and a malformed one is an error with the
//! segment position rather than a guess.

use rust_decimal::Decimal;

use super::envelope::bad_element;
use super::error::{Warning, X12Error};
use super::segment::SegmentRef;
use super::values::{parse_decimal, DateOrRange, SentDate};

/// NM1 — an individual or organization name with its identifier.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityName {
    /// NM101 entity identifier code (`PR` payer, `1P` provider, `IL` insured, `03` dependent,
    /// `X3` utilization management organization, `Y2` managed care organization, ...).
    pub entity_code: String,
    /// NM102 `1` person, `2` non-person entity.
    pub entity_type: Option<String>,
    /// NM103 last name or organization name.
    pub last_or_organization: Option<String>,
    /// NM104.
    pub first: Option<String>,
    /// NM105.
    pub middle: Option<String>,
    /// NM107.
    pub suffix: Option<String>,
    /// NM108 identification code qualifier (`PI` payer id, `XX` NPI, `MI` member id, ...).
    pub id_qualifier: Option<String>,
    /// NM109.
    pub id: Option<String>,
    /// NM110 entity relationship code (2120 loops only).
    pub relationship: Option<String>,
}

/// N3 + N4 — an address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// N301.
    pub line1: Option<String>,
    /// N302.
    pub line2: Option<String>,
    /// N401.
    pub city: Option<String>,
    /// N402.
    pub state: Option<String>,
    /// N403.
    pub postal_code: Option<String>,
    /// N404.
    pub country: Option<String>,
    /// N405 location qualifier (2120 only, `RJ` DoD health service region).
    pub location_qualifier: Option<String>,
    /// N406 location identifier.
    pub location_id: Option<String>,
    /// N407.
    pub country_subdivision: Option<String>,
}

/// One PER communication number with its qualifier (`TE` telephone, `EX` extension,
/// `FX` fax, `EM` e-mail, `UR` URL, `ED` EDI access number, `WP` work phone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunicationNumber {
    pub qualifier: String,
    pub number: String,
}

/// PER — a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// PER01 contact function code (`IC` information contact).
    pub function_code: String,
    /// PER02.
    pub name: Option<String>,
    /// PER03/04, PER05/06, PER07/08 in order.
    pub numbers: Vec<CommunicationNumber>,
}

/// REF — an additional identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// REF01 qualifier (`18` plan number, `1L` group number, `6P` group number, `G1` prior
    /// authorization number, `9F` referral number, ...).
    pub qualifier: String,
    /// REF02.
    pub value: String,
    /// REF03 description (plan, group or network name).
    pub description: Option<String>,
}

/// DTP — a qualified date or date range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedDate {
    /// DTP01 (`346` plan begin, `347` plan end, `291` plan, `307` eligibility, `356`/`357`
    /// eligibility begin/end, `348`/`349` benefit begin/end, ...).
    pub qualifier: String,
    /// DTP02 (`D8`/`RD8`) and DTP03.
    pub value: DateOrRange,
}

/// AAA — a request validation (rejection) at one loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The loop the AAA sits in (`2000A`, `2100A`, `2100B`, `2100C`, `2110C`, `2100D`, `2110D`).
    pub loop_id: &'static str,
    /// AAA01 `Y`/`N`. Some payers send `Y` with a reject reason; branch on the reason code.
    pub valid_request: bool,
    /// AAA03 reject reason code (`42` unable to respond now, `75` subscriber not found, ...).
    pub reason_code: Option<String>,
    /// AAA04 follow-up action code (`C` correct and resubmit, `R` resubmission allowed, ...).
    pub follow_up_action: Option<String>,
}

/// PRV — provider role and taxonomy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    /// PRV01 provider code (`PE` performing, `BI` billing, ...).
    pub provider_code: String,
    /// PRV02 reference qualifier (`PXC` taxonomy code).
    pub reference_qualifier: Option<String>,
    /// PRV03.
    pub reference: Option<String>,
}

/// TRN — a trace number (`TRN01` `1` current transaction, `2` referenced, i.e. the 270's echo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// TRN01.
    pub trace_type: String,
    /// TRN02.
    pub reference: String,
    /// TRN03 originating company identifier (`1` + EIN, ...).
    pub originator_id: Option<String>,
    /// TRN04.
    pub supplemental_id: Option<String>,
}

/// AMT — an amount with its qualifier (835 `AU` coverage amount, `B6` allowed; 277CA `YU`
/// accepted, `YY` rejected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedAmount {
    /// AMT01.
    pub qualifier: String,
    /// AMT02.
    pub amount: Decimal,
}

/// QTY — a quantity with its qualifier (835 `CA` covered actual days, `ZK` federal Medicare
/// or Medicaid covered days; 277CA `90`/`QA` accepted, `AA`/`QC` rejected).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedQuantity {
    /// QTY01.
    pub qualifier: String,
    /// QTY02.
    pub quantity: Decimal,
}

/// The separator a sender used in a composite when it is not ISA16: the third character of a
/// composite whose first component is a 2-character code (SVC01 `HC>99213`, PLB03 `WO>123`,
/// STC01 `A7>562`), when that character is punctuation.
///
/// Every composite the remittance readers split starts with a 2-character code (product or
/// service id qualifier, provider adjustment reason, status category), so such a composite can
/// be read without guessing. Anything else is left whole, to be refused by the caller.
fn stray_separator(whole: &str) -> Option<char> {
    match whole.as_bytes() {
        [a, b, sep, _, ..]
            if a.is_ascii_alphanumeric()
                && b.is_ascii_alphanumeric()
                && sep.is_ascii_punctuation() =>
        {
            Some(char::from(*sep))
        }
        _ => None,
    }
}

/// A closed code list as an enum: each variant with its code and its meaning in the
/// standard's words, `parse` for the code as sent, `code` and `description` back.
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $code:literal, $words:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* #[doc = concat!("`", $code, "` ", $words)] $variant, )+
        }

        impl $name {
            /// The variant for a code as sent; `None` when the list has no such code.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$variant), )+
                    _ => None,
                }
            }

            /// The code as sent.
            pub fn code(&self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }

            /// What the code means, in the standard's words.
            pub fn description(&self) -> &'static str {
                match self {
                    $( Self::$variant => $words, )+
                }
            }

            /// Every code of the list, in the standard's order.
            pub const ALL: &'static [$name] = &[ $( Self::$variant, )+ ];
        }
    };
}
pub(crate) use code_list;

/// A segment and its number in the interchange, with typed accessors whose errors carry that
/// position.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub seg: &'a SegmentRef<'a>,
    pub number: usize,
}

impl<'a> At<'a> {
    pub fn id(&self) -> &'a str {
        self.seg.id()
    }

    pub fn bad(&self, element: usize, reason: &'static str) -> X12Error {
        bad_element(self.seg, self.number, element, reason)
    }

    /// Element `n` as an owned string, `None` when absent or empty.
    #[inline(always)]
    pub fn opt(&self, n: usize) -> Option<String> {
        self.seg.value(n).map(str::to_owned)
    }

    /// Element `n`, which must be present.
    #[inline(always)]
    pub fn req(&self, n: usize) -> Result<String, X12Error> {
        self.opt(n)
            .ok_or_else(|| self.bad(n, "required element is missing"))
    }

    /// Element `n` as an X12 `R` decimal.
    #[inline(always)]
    pub fn decimal(&self, n: usize) -> Result<Option<Decimal>, X12Error> {
        self.seg
            .value(n)
            .map(|v| parse_decimal(v).map_err(|r| self.bad(n, r)))
            .transpose()
    }

    /// A date/time qualifier in element `q` and the value in element `q + 1`, if present.
    pub fn date_pair(&self, q: usize) -> Result<Option<DateOrRange>, X12Error> {
        match (self.seg.value(q), self.seg.value(q + 1)) {
            (None, None) => Ok(None),
            (Some(qualifier), Some(value)) => DateOrRange::parse(qualifier, value)
                .map(Some)
                .map_err(|r| self.bad(q + 1, r)),
            (None, Some(_)) => Err(self.bad(q, "date format qualifier is missing")),
            (Some(_), None) => Err(self.bad(q + 1, "date is missing")),
        }
    }

    /// A warning about element `element` of this segment (`None`: the segment as a whole).
    pub fn warning(&self, element: impl Into<Option<usize>>, what: &'static str) -> Warning {
        Warning {
            segment: self.number,
            id: self.seg.id().to_owned(),
            element: element.into(),
            what,
        }
    }

    /// Element `n` holds `code`, which is not in the list the reader knows.
    pub fn unknown(&self, element: usize, code: &str) -> X12Error {
        X12Error::UnknownCode {
            segment: self.number,
            id: self.seg.id().to_owned(),
            element,
            code: code.chars().take(4).collect(),
        }
    }

    /// Element `n`, a code that must be present and in the list `parse` knows.
    pub fn code<T>(&self, n: usize, parse: fn(&str) -> Option<T>) -> Result<T, X12Error> {
        let code = self.req(n)?;
        parse(&code).ok_or_else(|| self.unknown(n, &code))
    }

    /// Element `n` as an amount or quantity of the remittance transactions: an X12 `R` of at
    /// most 18 digits (the implementation guides' maximum length). The bound also keeps every
    /// total the readers add up far inside `Decimal`'s range, so no sum can overflow.
    pub fn money(&self, n: usize) -> Result<Option<Decimal>, X12Error> {
        let Some(text) = self.seg.value(n) else {
            return Ok(None);
        };
        if text.bytes().filter(u8::is_ascii_digit).count() > 18 {
            return Err(self.bad(n, "amount has more than 18 digits"));
        }
        parse_decimal(text).map(Some).map_err(|r| self.bad(n, r))
    }

    /// Element `n` as a [`money`](Self::money) value that must be present.
    pub fn req_money(&self, n: usize) -> Result<Decimal, X12Error> {
        self.money(n)?
            .ok_or_else(|| self.bad(n, "required element is missing"))
    }

    /// Element `n` as a CCYYMMDD date, kept as sent when it is none; a warning says so.
    pub fn sent_date(&self, n: usize, warnings: &mut Vec<Warning>) -> Option<SentDate> {
        let date = SentDate::read(self.seg.value(n)?);
        if date.date.is_none() {
            warnings.push(self.warning(n, "not a calendar date (CCYYMMDD); kept as sent"));
        }
        Some(date)
    }

    /// The components of composite element `n` (`None` when it is absent or empty).
    ///
    /// Some senders write composites with another separator than the ISA16 they announce
    /// (`SVC*HC>99213` under ISA16 `:`). When the element is not split by ISA16 and its third
    /// character is punctuation after a 2-character code, it is split on that character and a
    /// warning records it (see `stray_separator`): the codes are unambiguous, and refusing the
    /// file would hide the payments in it.
    pub fn composite(&self, n: usize, warnings: &mut Vec<Warning>) -> Option<Vec<&'a str>> {
        let element = self.seg.element(n)?;
        if element.is_empty() {
            return None;
        }
        let parts: Vec<&'a str> = element.components().collect();
        if let [whole] = parts.as_slice() {
            if let Some(separator) = stray_separator(whole) {
                warnings.push(self.warning(
                    n,
                    "composite written with another component separator than ISA16; split on it",
                ));
                return Some(whole.split(separator).collect());
            }
        }
        Some(parts)
    }

    pub fn amt(&self) -> Result<QualifiedAmount, X12Error> {
        Ok(QualifiedAmount {
            qualifier: self.req(1)?,
            amount: self.req_money(2)?,
        })
    }

    pub fn qty(&self) -> Result<QualifiedQuantity, X12Error> {
        Ok(QualifiedQuantity {
            qualifier: self.req(1)?,
            quantity: self.req_money(2)?,
        })
    }

    pub fn nm1(&self) -> Result<EntityName, X12Error> {
        Ok(EntityName {
            entity_code: self.req(1)?,
            entity_type: self.opt(2),
            last_or_organization: self.opt(3),
            first: self.opt(4),
            middle: self.opt(5),
            suffix: self.opt(7),
            id_qualifier: self.opt(8),
            id: self.opt(9),
            relationship: self.opt(10),
        })
    }

    /// N3 into `address` (line 1 and 2).
    pub fn n3(&self, address: &mut Address) -> Result<(), X12Error> {
        address.line1 = Some(self.req(1)?);
        address.line2 = self.opt(2);
        Ok(())
    }

    /// N4 into `address` (city, state, ZIP, country, location, subdivision).
    pub fn n4(&self, address: &mut Address) -> Result<(), X12Error> {
        address.city = self.opt(1);
        address.state = self.opt(2);
        address.postal_code = self.opt(3);
        address.country = self.opt(4);
        address.location_qualifier = self.opt(5);
        address.location_id = self.opt(6);
        address.country_subdivision = self.opt(7);
        Ok(())
    }

    pub fn per(&self) -> Result<Contact, X12Error> {
        let mut numbers = Vec::new();
        // PER03/04, PER05/06, PER07/08: qualifier then number.
        for q in [3, 5, 7] {
            match (self.opt(q), self.opt(q + 1)) {
                (Some(qualifier), Some(number)) => {
                    numbers.push(CommunicationNumber { qualifier, number })
                }
                (None, None) => {}
                (None, Some(_)) => {
                    return Err(self.bad(q, "communication number qualifier is missing"))
                }
                (Some(_), None) => return Err(self.bad(q + 1, "communication number is missing")),
            }
        }
        Ok(Contact {
            function_code: self.req(1)?,
            name: self.opt(2),
            numbers,
        })
    }

    pub fn reference(&self) -> Result<Reference, X12Error> {
        Ok(Reference {
            qualifier: self.req(1)?,
            value: self.req(2)?,
            description: self.opt(3),
        })
    }

    pub fn dtp(&self) -> Result<QualifiedDate, X12Error> {
        let qualifier = self.req(1)?;
        let value = self
            .date_pair(2)?
            .ok_or_else(|| self.bad(3, "date is missing"))?;
        Ok(QualifiedDate { qualifier, value })
    }

    pub fn aaa(&self, loop_id: &'static str) -> Result<Rejection, X12Error> {
        let valid_request = match self.seg.value(1) {
            Some("Y") => true,
            Some("N") => false,
            _ => return Err(self.bad(1, "valid request indicator must be Y or N")),
        };
        Ok(Rejection {
            loop_id,
            valid_request,
            reason_code: self.opt(3),
            follow_up_action: self.opt(4),
        })
    }

    pub fn prv(&self) -> Result<ProviderInfo, X12Error> {
        Ok(ProviderInfo {
            provider_code: self.req(1)?,
            reference_qualifier: self.opt(2),
            reference: self.opt(3),
        })
    }

    pub fn trn(&self) -> Result<Trace, X12Error> {
        Ok(Trace {
            trace_type: self.req(1)?,
            reference: self.req(2)?,
            originator_id: self.opt(3),
            supplemental_id: self.opt(4),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x12::delimiters::Delimiters;
    use crate::x12::segment::Segment;
    use crate::x12::writer::write_segment;
    use chrono::NaiveDate;

    /// `seg` as the reader sees it: written, then read back.
    fn at(seg: &Segment) -> At<'static> {
        let mut text = String::new();
        write_segment(&mut text, seg, &Delimiters::STANDARD).unwrap();
        text.pop(); // the terminator
        let text: &'static str = Box::leak(text.into_boxed_str());
        let seg = Box::leak(Box::new(SegmentRef::index(text, &Delimiters::STANDARD)));
        At { seg, number: 7 }
    }

    #[test]
    fn per_pairs_numbers_with_qualifiers() {
        let seg = Segment::simple(
            "PER",
            &[
                "IC",
                "BH LINE",
                "TE",
                "8005551212",
                "EX",
                "12",
                "UR",
                "WWW.EXAMPLE.COM",
            ],
        );
        let c = at(&seg).per().unwrap();
        assert_eq!(c.name.as_deref(), Some("BH LINE"));
        let pairs: Vec<(&str, &str)> = c
            .numbers
            .iter()
            .map(|n| (n.qualifier.as_str(), n.number.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("TE", "8005551212"),
                ("EX", "12"),
                ("UR", "WWW.EXAMPLE.COM")
            ]
        );
        let broken = Segment::simple("PER", &["IC", "", "TE"]);
        assert_eq!(
            at(&broken).per(),
            Err(X12Error::BadElement {
                segment: 7,
                id: "PER".into(),
                element: 4,
                reason: "communication number is missing"
            })
        );
    }

    #[test]
    fn dtp_and_aaa() {
        let seg = Segment::simple("DTP", &["346", "RD8", "20250101-20251231"]);
        let d = at(&seg).dtp().unwrap();
        assert_eq!(d.qualifier, "346");
        let jan1 = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let dec31 = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
        assert_eq!(d.value, DateOrRange::Range(jan1, dec31));
        assert!(at(&Segment::simple("DTP", &["346", "D8"])).dtp().is_err());
        assert!(at(&Segment::simple("DTP", &["346", "", "20250101"]))
            .dtp()
            .is_err());
        let aaa = at(&Segment::simple("AAA", &["N", "", "75", "C"]))
            .aaa("2100C")
            .unwrap();
        assert!(!aaa.valid_request);
        assert_eq!(
            (aaa.reason_code.as_deref(), aaa.follow_up_action.as_deref()),
            (Some("75"), Some("C"))
        );
        assert!(at(&Segment::simple("AAA", &["X", "", "75", "C"]))
            .aaa("2100C")
            .is_err());
    }
}
