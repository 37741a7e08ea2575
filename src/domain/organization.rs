//! The clinic itself: the information receiver on every inquiry (2100B) and, later, the
//! billing provider on claims (2010AA).

use serde::{Deserialize, Serialize};

use super::names::{parse_person_name, NameRule};
use super::patterns::{matching, PARTNER_ID_RE, TAXONOMY_RE, TAX_ID_RE};
use super::person::{Address, AddressInput, Phone};
use super::text::SafeText;
use super::validation::{Fields, Invalid};

/// A National Provider Identifier: ten digits whose last is a Luhn check digit computed over
/// the card-issuer prefix 80840 and the first nine (45 CFR 162.406; CMS NPI check-digit note).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Npi(String);

impl Npi {
    pub fn parse(raw: String) -> Result<Npi, String> {
        if raw.len() != 10 || !raw.chars().all(|c| c.is_ascii_digit()) {
            return Err("must be 10 digits".into());
        }
        let digits: Vec<u32> = raw.chars().filter_map(|c| c.to_digit(10)).collect();
        let (payload, check) = digits.split_at(9);
        let prefixed = [8, 0, 8, 4, 0].iter().chain(payload.iter());
        // Luhn: from the rightmost payload digit leftwards, double every other digit.
        let sum: u32 = prefixed
            .rev()
            .enumerate()
            .map(|(i, &d)| {
                if i % 2 == 0 {
                    let doubled = d * 2;
                    if doubled > 9 {
                        doubled - 9
                    } else {
                        doubled
                    }
                } else {
                    d
                }
            })
            .sum();
        let expected = (10 - sum % 10) % 10;
        if check.first() != Some(&expected) {
            return Err("is not a valid NPI (check digit does not match)".into());
        }
        Ok(Npi(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub legal_name: SafeText,
    pub npi: Npi,
    /// The employer identification number, nine digits.
    pub tax_id: String,
    /// The Health Care Provider Taxonomy code (PRV03), e.g. `261QM0801X`.
    pub taxonomy_code: String,
    pub address: Address,
    pub phone: Phone,
    /// The id a clearinghouse assigned the clinic as claim submitter (1000A NM109, and
    /// ISA06/GS02 unless a payer's connection names its own); `None` sends the NPI.
    pub submitter_id: Option<String>,
    /// Who answers for claim files (1000A PER02); `None` sends the legal name.
    pub billing_contact_name: Option<SafeText>,
    /// The clinician on the claims: 837I attending (NM1*71), 837P rendering (NM1*82).
    pub attending_provider: Option<Clinician>,
}

/// A clinician by name and individual NPI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clinician {
    pub first_name: SafeText,
    pub last_name: SafeText,
    pub npi: Npi,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicianInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub npi: Option<String>,
}

impl ClinicianInput {
    /// 2310A/2310B NM104 holds 35 characters, NM103 60.
    pub fn parse(self, rule: NameRule) -> Result<Clinician, Invalid> {
        let mut fields = Fields::new();
        let first_name = fields.required("first_name", self.first_name, |raw| {
            parse_person_name(&raw, 35, rule)
        });
        let last_name = fields.required("last_name", self.last_name, |raw| {
            parse_person_name(&raw, 60, rule)
        });
        let npi = fields.required("npi", self.npi, Npi::parse);
        fields.finish_with(|| {
            let (first_name, last_name, npi) = (first_name?, last_name?, npi?);
            Some(Clinician {
                first_name,
                last_name,
                npi,
            })
        })
    }
}

impl From<&Clinician> for ClinicianInput {
    fn from(c: &Clinician) -> ClinicianInput {
        ClinicianInput {
            first_name: Some(c.first_name.to_string()),
            last_name: Some(c.last_name.to_string()),
            npi: Some(c.npi.as_str().to_string()),
        }
    }
}

impl Organization {
    /// The submitter id claim files carry.
    pub fn submitter(&self) -> &str {
        self.submitter_id.as_deref().unwrap_or(self.npi.as_str())
    }

    /// The contact name claim files carry.
    pub fn contact(&self) -> &str {
        self.billing_contact_name
            .as_ref()
            .unwrap_or(&self.legal_name)
            .as_str()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    pub legal_name: Option<String>,
    pub npi: Option<String>,
    pub tax_id: Option<String>,
    pub taxonomy_code: Option<String>,
    pub address: Option<AddressInput>,
    pub phone: Option<String>,
    pub submitter_id: Option<String>,
    pub billing_contact_name: Option<String>,
    pub attending_provider: Option<ClinicianInput>,
}

impl OrganizationInput {
    /// The clinic as an admin sends it: the clinician's and the billing contact's names must
    /// be sendable in X12.
    pub fn parse(self) -> Result<Organization, Invalid> {
        self.parse_under(NameRule::Entered)
    }

    /// The clinic read back from the database, names taken as stored.
    pub fn parse_stored(self) -> Result<Organization, Invalid> {
        self.parse_under(NameRule::Stored)
    }

    fn parse_under(self, rule: NameRule) -> Result<Organization, Invalid> {
        let mut fields = Fields::new();
        let legal_name = fields.required("legal_name", self.legal_name, |raw| {
            SafeText::parse(&raw, 60)
        });
        let npi = fields.required("npi", self.npi, Npi::parse);
        let tax_id = fields.required("tax_id", self.tax_id, |raw| {
            matching(
                raw,
                &TAX_ID_RE,
                "must be an EIN: 9 digits, optionally as 12-3456789",
            )
            .map(|ein| ein.replace('-', ""))
        });
        let taxonomy_code = fields.required("taxonomy_code", self.taxonomy_code, |raw| {
            matching(
                raw,
                &TAXONOMY_RE,
                "must be a 10-character provider taxonomy code ending in X",
            )
        });
        let address = match self.address.map(AddressInput::parse) {
            None => {
                fields.push("address", "is required");
                None
            }
            Some(Ok(address)) => Some(address),
            Some(Err(invalid)) => {
                fields.absorb_under("address", invalid);
                None
            }
        };
        let phone = fields.required("phone", self.phone, Phone::parse);
        let submitter_id = fields.optional("submitter_id", self.submitter_id, |raw| {
            matching(
                raw,
                &PARTNER_ID_RE,
                "must be 1 to 15 letters, digits or inner spaces (it travels in ISA06)",
            )
        });
        // 1000A PER02 holds 60 characters.
        let billing_contact_name =
            fields.optional("billing_contact_name", self.billing_contact_name, |raw| {
                parse_person_name(&raw, 60, rule)
            });
        let attending_provider = match self.attending_provider.map(|c| c.parse(rule)) {
            None => None,
            Some(Ok(clinician)) => Some(clinician),
            Some(Err(invalid)) => {
                fields.absorb_under("attending_provider", invalid);
                None
            }
        };
        fields.finish_with(|| {
            let (legal_name, npi, tax_id, taxonomy_code, address, phone) =
                (legal_name?, npi?, tax_id?, taxonomy_code?, address?, phone?);
            Some(Organization {
                legal_name,
                npi,
                tax_id,
                taxonomy_code,
                address,
                phone,
                submitter_id: submitter_id.flatten(),
                billing_contact_name: billing_contact_name.flatten(),
                attending_provider,
            })
        })
    }
}

impl From<&Organization> for OrganizationInput {
    fn from(org: &Organization) -> OrganizationInput {
        OrganizationInput {
            legal_name: Some(org.legal_name.to_string()),
            npi: Some(org.npi.as_str().to_string()),
            tax_id: Some(org.tax_id.clone()),
            taxonomy_code: Some(org.taxonomy_code.clone()),
            address: Some(AddressInput::from(&org.address)),
            phone: Some(org.phone.as_str().to_string()),
            submitter_id: org.submitter_id.clone(),
            billing_contact_name: org.billing_contact_name.as_ref().map(|n| n.to_string()),
            attending_provider: org.attending_provider.as_ref().map(ClinicianInput::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npis_carry_a_luhn_check_digit_over_the_80840_prefix() {
        // CMS's published example, and two real-format NPIs.
        for good in ["1234567893", "1245319599", "1003000126"] {
            assert!(Npi::parse(good.into()).is_ok(), "{good}");
        }
        for bad in ["1234567890", "123456789", "12345678933", "123456789X"] {
            assert!(Npi::parse(bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_organization_needs_every_field() {
        let invalid = OrganizationInput::default().parse().unwrap_err();
        let fields: Vec<_> = invalid.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "legal_name",
                "npi",
                "tax_id",
                "taxonomy_code",
                "address",
                "phone"
            ]
        );
    }
}
