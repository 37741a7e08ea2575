//! Field-level validation results shared by every parser at the edge.
//!
//! Parsers collect *all* problems of an input before failing, so a caller fixing a form sees every
//! bad field at once instead of one per round trip.

use std::fmt;

use serde::Serialize;

/// One bad field: its JSON path (`address.postal_code`) and what is wrong, in words staff read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An input that did not parse, with every reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn one(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid(vec![FieldError::new(field, message)])
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<&str> = self.0.iter().map(|e| e.field.as_str()).collect();
        write!(f, "invalid fields: {}", fields.join(", "))
    }
}

impl std::error::Error for Invalid {}

/// Collects field errors while an input is parsed.
#[derive(Debug, Default)]
pub struct Fields {
    prefix: String,
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new() -> Fields {
        Fields::default()
    }

    /// Errors recorded through the returned collector are named `prefix.field`.
    pub fn nested(prefix: &str) -> Fields {
        Fields {
            prefix: format!("{prefix}."),
            errors: Vec::new(),
        }
    }

    fn name(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        let name = self.name(field);
        self.errors.push(FieldError::new(name, message));
    }

    /// Keeps the value of a parse, or records its error under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(field, message);
                None
            }
        }
    }

    /// A required field: absent is an error, present is parsed.
    pub fn required<T, R>(
        &mut self,
        field: &str,
        value: Option<R>,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<T> {
        match value {
            None => {
                self.push(field, "is required");
                None
            }
            Some(raw) => self.check(field, parse(raw)),
        }
    }

    /// An optional field: absent (or null) is `Some(None)`; a bad value records an error and is `None`.
    pub fn optional<T, R>(
        &mut self,
        field: &str,
        value: Option<R>,
        parse: impl FnOnce(R) -> Result<T, String>,
    ) -> Option<Option<T>> {
        match value {
            None => Some(None),
            Some(raw) => self.check(field, parse(raw)).map(Some),
        }
    }

    /// Takes over the errors of a nested parse.
    pub fn absorb(&mut self, invalid: Invalid) {
        for error in invalid.0 {
            let name = self.name(&error.field);
            self.errors.push(FieldError::new(name, error.message));
        }
    }

    /// Takes over the errors of a nested object's parse, naming them `field.<their field>`.
    pub fn absorb_under(&mut self, field: &str, invalid: Invalid) {
        for error in invalid.0 {
            let name = self.name(&format!("{field}.{}", error.field));
            self.errors.push(FieldError::new(name, error.message));
        }
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Ends a parse in one step: every error recorded, or else the value `build` makes of the
    /// parsed fields. `build` takes each field with `?`: a field [`Fields::required`],
    /// [`Fields::optional`] or [`Fields::check`] left `None` had its error recorded, so with no
    /// errors every `?` passes. Should a parser break that rule, the input is refused as a
    /// whole (422), the same everywhere, never a 500.
    pub fn finish_with<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Invalid> {
        let prefix = self.prefix.trim_end_matches('.').to_string();
        self.finish()?;
        build().ok_or_else(|| {
            let whole = if prefix.is_empty() { "body" } else { &prefix };
            Invalid::one(whole, "could not be read")
        })
    }

    pub fn finish(self) -> Result<(), Invalid> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.errors))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finishing_gives_every_error_or_the_built_value() {
        let mut fields = Fields::new();
        let a = fields.required("a", Some("1"), |raw| {
            raw.parse::<u8>().map_err(|e| e.to_string())
        });
        let b = fields.required("b", None::<&str>, |raw| Ok::<_, String>(raw.len()));
        let c = fields.optional("c", Some("x"), |raw| {
            raw.parse::<u8>().map_err(|e| e.to_string())
        });
        let refused = fields.finish_with(|| Some((a?, b?, c?))).unwrap_err();
        let named: Vec<&str> = refused.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["b", "c"]);

        let mut fields = Fields::new();
        let a = fields.required("a", Some("7"), |raw| {
            raw.parse::<u8>().map_err(|e| e.to_string())
        });
        let c = fields.optional("c", None::<&str>, |raw| Ok::<_, String>(raw.len()));
        assert_eq!(fields.finish_with(|| Some((a?, c?))), Ok((7, None)));
    }

    #[test]
    fn a_parser_that_breaks_the_rule_is_a_refusal_not_a_panic() {
        let fields = Fields::nested("address");
        let refused = fields.finish_with(|| None::<u8>).unwrap_err();
        assert_eq!(refused.0[0].field, "address");
    }

    #[test]
    fn nested_errors_are_named_under_their_field() {
        let mut fields = Fields::new();
        fields.absorb_under("address", Invalid::one("city", "is required"));
        assert_eq!(
            fields.finish().unwrap_err().0,
            vec![FieldError::new("address.city", "is required")]
        );
    }

    #[test]
    fn collects_every_error_with_its_path() {
        let mut fields = Fields::nested("address");
        fields.required::<String, String>("city", None, Ok);
        fields.check::<()>("state", Err("must be two capital letters".into()));
        let invalid = fields.finish().unwrap_err();
        assert_eq!(
            invalid.0,
            vec![
                FieldError::new("address.city", "is required"),
                FieldError::new("address.state", "must be two capital letters"),
            ]
        );
    }
}
