//! A payer: an insurer or plan administrator the clinic verifies benefits with and bills.

use serde::{Deserialize, Serialize};

use super::patterns::{matching, EDI_PAYER_ID_RE};
use super::text::SafeText;
use super::validation::{Fields, Invalid};

/// The payer's EDI id (2100A NM109 with qualifier PI), as the clearinghouse lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct EdiPayerId(String);

impl EdiPayerId {
    pub fn parse(raw: String) -> Result<EdiPayerId, String> {
        matching(raw, &EDI_PAYER_ID_RE, "must be 2 to 80 letters or digits").map(EdiPayerId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewPayer {
    pub name: SafeText,
    pub payer_id: EdiPayerId,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayerInput {
    pub name: Option<String>,
    pub payer_id: Option<String>,
}

impl PayerInput {
    pub fn parse(self) -> Result<NewPayer, Invalid> {
        let mut fields = Fields::new();
        // 2100A NM103 carries at most 60 characters.
        let name = fields.required("name", self.name, |raw| SafeText::parse(&raw, 60));
        let payer_id = fields.required("payer_id", self.payer_id, EdiPayerId::parse);
        fields.finish()?;
        match (name, payer_id) {
            (Some(name), Some(payer_id)) => Ok(NewPayer { name, payer_id }),
            _ => Err(Invalid::one("body", "is not a valid payer")),
        }
    }
}

impl From<&NewPayer> for PayerInput {
    fn from(payer: &NewPayer) -> PayerInput {
        PayerInput {
            name: Some(payer.name.to_string()),
            payer_id: Some(payer.payer_id.as_str().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payer_ids_are_alphanumeric() {
        assert!(EdiPayerId::parse("60054".into()).is_ok());
        assert!(EdiPayerId::parse("BCBS-TX".into()).is_err());
        assert!(EdiPayerId::parse("X".into()).is_err());
    }
}
