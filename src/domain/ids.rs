//! Entity ids: UUIDs (v7, so they sort by creation time), stored as TEXT.
//!
//! Each entity has its own id type, so a coverage id cannot be handed where a client id is
//! wanted. They serialise as the plain hyphenated UUID, exactly as a bare `Uuid` did, and are
//! stored as the same TEXT (the sqlx impls live in `store::ids`: this module knows no SQL).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// Parses an id from a path or a body field; the message names what was expected.
pub fn parse_id(raw: &str) -> Result<Uuid, String> {
    // Only the hyphenated form the contract's `format: uuid` names; Uuid::parse_str alone would
    // also take braced, URN and bare-hex spellings.
    if raw.len() != 36 {
        return Err("must be a UUID".into());
    }
    Uuid::parse_str(raw).map_err(|_| "must be a UUID".to_string())
}

/// Defines one id type per entity over a [`Uuid`].
macro_rules! entity_ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        // A fresh id is not a sensible default value, so no `Default`.
        #[allow(clippy::new_without_default)]
        impl $name {
            /// A fresh id (v7: ids sort by creation time).
            pub fn new() -> $name {
                $name(new_id())
            }

            /// Parses the hyphenated form only, like [`parse_id`].
            pub fn parse(raw: &str) -> Result<$name, String> {
                parse_id(raw).map($name)
            }

            /// Names an existing UUID as this entity's id: for ids that come from elsewhere
            /// already checked (another row, an internal list).
            pub const fn from_uuid(id: Uuid) -> $name {
                $name(id)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(raw: &str) -> Result<$name, String> {
                $name::parse(raw)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

/// Calls `$then!` with the names of every entity id type, so that other modules (the store's
/// SQL encoding) can cover each one without repeating the list.
#[macro_export]
macro_rules! for_each_entity_id {
    ($then:ident) => {
        $then!(
            ClientId,
            CoverageId,
            EpisodeId,
            PayerId,
            UserId,
            VerificationId,
            BatchId,
            AuthorizationId,
            FeeScheduleId,
            ServiceCodeId,
            ClaimId,
            EstimateId,
            RemittanceId,
            AcknowledgmentId,
            DayRateId,
        );
    };
}

entity_ids! {
    /// A client (a person in a program).
    ClientId;
    /// A client's insurance coverage.
    CoverageId;
    /// A client's episode of care.
    EpisodeId;
    /// A payer as stored here (not its EDI payer id, [`super::payer::EdiPayerId`]).
    PayerId;
    /// A staff member's account.
    UserId;
    /// An eligibility verification.
    VerificationId;
    /// A batch of verifications.
    BatchId;
    /// A payer's authorization of a level of care.
    AuthorizationId;
    /// A payer's fee schedule.
    FeeScheduleId;
    /// A payer's rate for a day by its number of services (APC-style).
    DayRateId;
    /// An entry of the service catalog (one code over one period).
    ServiceCodeId;
    /// A claim.
    ClaimId;
    /// A cost estimate shown to a client.
    EstimateId;
    /// One 835 transaction set as received (a payment).
    RemittanceId;
    /// A TA1, 999 or 277CA received for our 837 files.
    AcknowledgmentId;
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &str = "0190f5d2-8a6e-7c3b-9f4e-2b1d3c4e5f60";

    #[test]
    fn an_id_parses_only_in_the_hyphenated_form() {
        assert_eq!(ClientId::parse(RAW).unwrap().to_string(), RAW);
        let bare = RAW.replace('-', "");
        for raw in [
            bare.as_str(),
            "{0190f5d2-8a6e-7c3b-9f4e-2b1d3c4e5f60}",
            "urn:uuid:0190f5d2-8a6e-7c3b-9f4e-2b1d3c4e5f60",
            "0190f5d2-8a6e-7c3b-9f4e-2b1d3c4e5f6g",
            "",
        ] {
            assert_eq!(ClientId::parse(raw), Err("must be a UUID".into()), "{raw}");
            assert!(raw.parse::<CoverageId>().is_err(), "{raw}");
        }
    }

    #[test]
    fn an_id_prints_as_its_lowercase_uuid() {
        let upper = RAW.to_uppercase();
        assert_eq!(PayerId::parse(&upper).unwrap().to_string(), RAW);
    }

    #[test]
    fn an_id_round_trips_through_json_as_the_plain_string() {
        let id = EpisodeId::parse(RAW).unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{RAW}\""));
        assert_eq!(serde_json::from_str::<EpisodeId>(&json).unwrap(), id);
        assert_eq!(
            json,
            serde_json::to_string(&Uuid::parse_str(RAW).unwrap()).unwrap()
        );
    }

    #[test]
    fn json_refuses_the_spellings_a_path_refuses() {
        let braced = format!("\"{{{RAW}}}\"");
        assert!(serde_json::from_str::<EstimateId>(&braced).is_err());
        assert!(serde_json::from_str::<EstimateId>("42").is_err());
    }

    #[test]
    fn a_fresh_id_round_trips_through_its_text_and_its_uuid() {
        let id = ClaimId::new();
        assert_eq!(id.to_string().parse::<ClaimId>(), Ok(id));
        assert_eq!(Uuid::from(id), id.as_uuid());
        assert_eq!(ClaimId::from_uuid(id.as_uuid()), id);
    }
}
