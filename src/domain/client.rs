//! A client: the person calling about, or attending, an IOP or PHP program.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::names::NameRule;
use super::patterns::{matching, EXTERNAL_ID_RE};
use super::person::{
    parse_birth_date, parse_first_name, parse_last_name, Address, AddressInput, Email, Phone, Sex,
};
use super::text::SafeText;
use super::validation::{Fields, Invalid};

/// The client's record number in the clinic's EHR.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(raw: String) -> Result<ExternalId, String> {
        matching(
            raw,
            &EXTERNAL_ID_RE,
            "must be 1 to 64 letters, digits, '.', '_' or '-'",
        )
        .map(ExternalId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewClient {
    pub first_name: SafeText,
    pub last_name: SafeText,
    pub date_of_birth: NaiveDate,
    pub sex: Sex,
    pub address: Option<Address>,
    pub phone: Option<Phone>,
    pub email: Option<Email>,
    pub external_id: Option<ExternalId>,
}

/// A client as it arrives on the wire (and as a PATCH is merged onto).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub address: Option<AddressInput>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<String>,
}

impl ClientInput {
    /// A client as staff send it: names must be sendable in X12 ([`NameRule::Entered`]).
    pub fn parse(self, today: NaiveDate) -> Result<NewClient, Invalid> {
        self.parse_under(today, NameRule::Entered)
    }

    /// A client read back from the database, names taken as stored ([`NameRule::Stored`]).
    pub fn parse_stored(self, today: NaiveDate) -> Result<NewClient, Invalid> {
        self.parse_under(today, NameRule::Stored)
    }

    fn parse_under(self, today: NaiveDate, rule: NameRule) -> Result<NewClient, Invalid> {
        let mut fields = Fields::new();
        let first_name = fields.required("first_name", self.first_name, |raw| {
            parse_first_name(raw, rule)
        });
        let last_name = fields.required("last_name", self.last_name, |raw| {
            parse_last_name(raw, rule)
        });
        let date_of_birth = fields.required("date_of_birth", self.date_of_birth, |raw| {
            parse_birth_date(raw, today)
        });
        let sex = fields.required("sex", self.sex, Sex::parse);
        let address = match self.address.map(AddressInput::parse) {
            None => Some(None),
            Some(Ok(address)) => Some(Some(address)),
            Some(Err(invalid)) => {
                fields.absorb_under("address", invalid);
                None
            }
        };
        let phone = fields.optional("phone", self.phone, Phone::parse);
        let email = fields.optional("email", self.email, Email::parse);
        let external_id = fields.optional("external_id", self.external_id, ExternalId::parse);
        fields.finish_with(|| {
            let (first_name, last_name, date_of_birth, sex, address, phone, email, external_id) = (
                first_name?,
                last_name?,
                date_of_birth?,
                sex?,
                address?,
                phone?,
                email?,
                external_id?,
            );
            Some(NewClient {
                first_name,
                last_name,
                date_of_birth,
                sex,
                address,
                phone,
                email,
                external_id,
            })
        })
    }
}

impl From<&NewClient> for ClientInput {
    fn from(client: &NewClient) -> ClientInput {
        ClientInput {
            first_name: Some(client.first_name.to_string()),
            last_name: Some(client.last_name.to_string()),
            date_of_birth: Some(client.date_of_birth.to_string()),
            sex: Some(client.sex.as_str().to_string()),
            address: client.address.as_ref().map(AddressInput::from),
            phone: client.phone.as_ref().map(|p| p.as_str().to_string()),
            email: client.email.as_ref().map(|e| e.as_str().to_string()),
            external_id: client.external_id.as_ref().map(|e| e.as_str().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn valid() -> ClientInput {
        ClientInput {
            first_name: Some("Ana".into()),
            last_name: Some("Lopez".into()),
            date_of_birth: Some("1988-04-12".into()),
            sex: Some("F".into()),
            ..ClientInput::default()
        }
    }

    #[test]
    fn a_minimal_client_parses() {
        let client = valid().parse(today()).unwrap();
        assert_eq!(client.last_name.as_str(), "Lopez");
        assert_eq!(client.address, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let input = ClientInput {
            first_name: Some(" ".into()),
            date_of_birth: Some("2030-01-01".into()),
            sex: Some("X".into()),
            address: Some(AddressInput {
                line1: Some("1 Main".into()),
                ..AddressInput::default()
            }),
            external_id: Some("has space".into()),
            ..ClientInput::default()
        };
        let invalid = input.parse(today()).unwrap_err();
        let fields: Vec<_> = invalid.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "first_name",
                "last_name",
                "date_of_birth",
                "sex",
                "address.city",
                "address.state",
                "address.postal_code",
                "external_id"
            ]
        );
    }

    #[test]
    fn a_parsed_client_round_trips_through_its_input_form() {
        let mut input = valid();
        input.phone = Some("555-867-5309".into());
        let client = input.parse(today()).unwrap();
        let again = ClientInput::from(&client).parse(today()).unwrap();
        assert_eq!(client, again);
    }
}
