//! Form fields with their label, hint and error beside them, the one way pages write inputs.
//!
//! A refused form is shown again with what was typed and each error beside its field; the
//! field names are those the domain parsers report (`member_id`, `subscriber.first_name`), so
//! an `Invalid` from a parser lands beside the right input without translation.

use maud::{html, Markup};

use crate::domain::validation::{FieldError, Invalid};

/// The errors of a posted form, by field name.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    pub fn none() -> Errors {
        Errors::default()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds an error of this page's own (not from a parser).
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Adds a parser's errors, each under `prefix.` when given (`subscriber.first_name`).
    pub fn absorb(&mut self, prefix: Option<&str>, invalid: Invalid) {
        for error in invalid.0 {
            let field = match prefix {
                Some(prefix) => format!("{prefix}.{}", error.field),
                None => error.field,
            };
            self.0.push(FieldError::new(field, error.message));
        }
    }

    /// How many fields have an error (a field may have several; its first is shown).
    pub fn fields(&self) -> usize {
        let mut names: Vec<&str> = self.0.iter().map(|e| e.field.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }

    /// Every error, as (field, message), in the order found.
    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|e| (e.field.as_str(), e.message.as_str()))
    }

    /// The first error of `field`.
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

impl From<Invalid> for Errors {
    fn from(invalid: Invalid) -> Errors {
        Errors(invalid.0)
    }
}

/// The element id of field `name` (`subscriber.first_name` → `f-subscriber-first_name`).
pub fn id(name: &str) -> String {
    format!("f-{}", name.replace('.', "-"))
}

/// How a text input is shown.
#[derive(Clone, Copy, Default)]
pub struct Input<'a> {
    /// `text` unless given (`date`, `password`, `search`, `tel`, `email`).
    pub kind: Option<&'a str>,
    pub required: bool,
    /// Says "(optional)" beside the label: for the fields of a form most of whose fields are
    /// required (not for a search, whose fields are all optional).
    pub optional: bool,
    pub hint: Option<&'a str>,
    pub autocomplete: Option<&'a str>,
}

/// A labelled input, with its hint and its error (announced with the field) beside it.
pub fn text(name: &str, label: &str, value: &str, errors: &Errors, input: Input<'_>) -> Markup {
    let id = id(name);
    let error = errors.of(name);
    let described = described_by(&id, input.hint.is_some(), error.is_some());
    html! {
        div.field {
            label for=(id) { (label) @if input.optional { " " span.muted { "(optional)" } } }
            input type=(input.kind.unwrap_or("text")) id=(id) name=(name) value=(value)
                required[input.required]
                autocomplete=[input.autocomplete]
                aria-invalid=[error.map(|_| "true")]
                aria-describedby=[described];
            // Below the input, so that the inputs of a row line up whatever their hints.
            @if let Some(hint) = input.hint { span.hint id={ (id) "-hint" } { (hint) } }
            @if let Some(error) = error { span.field-error id={ (id) "-error" } { (error) } }
        }
    }
}

/// A labelled `<select>` of `(value, label)` options.
pub fn select(
    name: &str,
    label: &str,
    options: &[(String, String)],
    selected: &str,
    errors: &Errors,
    required: bool,
) -> Markup {
    let id = id(name);
    let error = errors.of(name);
    let described = described_by(&id, false, error.is_some());
    html! {
        div.field {
            label for=(id) { (label) }
            select id=(id) name=(name) required[required]
                aria-invalid=[error.map(|_| "true")] aria-describedby=[described] {
                @if !required || selected.is_empty() { option value="" { "Choose…" } }
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
            @if let Some(error) = error { span.field-error id={ (id) "-error" } { (error) } }
        }
    }
}

/// Above a refused form: says that it was refused and how many fields to fix.
pub fn summary(errors: &Errors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.notice.bad role="alert" {
                @if errors.fields() == 1 { "One field needs attention; it is marked below." }
                @else { (errors.fields()) " fields need attention; each is marked below." }
            }
        }
    }
}

fn described_by(id: &str, hint: bool, error: bool) -> Option<String> {
    let parts: Vec<String> = [(hint, "-hint"), (error, "-error")]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, suffix)| format!("{id}{suffix}"))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_sits_beside_its_field_and_keeps_what_was_typed() {
        let mut errors = Errors::none();
        errors.absorb(
            Some("subscriber"),
            Invalid::one("first_name", "must not be empty"),
        );
        errors.push("member_id", "must be 2 to 80 letters or digits");
        let html = text(
            "member_id",
            "Member id",
            "AB#1",
            &errors,
            Input {
                required: true,
                ..Input::default()
            },
        )
        .into_string();
        assert!(html.contains(r#"value="AB#1""#), "{html}");
        assert!(html.contains(r#"aria-invalid="true""#));
        assert!(html.contains(r#"aria-describedby="f-member_id-error""#));
        assert!(html.contains("must be 2 to 80 letters or digits"));
        errors.push("member_id", "a second error of the same field");
        assert_eq!(errors.fields(), 2);
        assert_eq!(
            errors.of("subscriber.first_name"),
            Some("must not be empty")
        );
        let optional = Input {
            optional: true,
            ..Input::default()
        };
        let clean = text("group", "Group", "", &Errors::none(), optional).into_string();
        assert!(!clean.contains("aria-invalid"));
        assert!(clean.contains("(optional)"));
    }

    #[test]
    fn a_select_marks_the_chosen_option() {
        let options = vec![
            ("a".to_string(), "Aetna".to_string()),
            ("b".to_string(), "Blue".to_string()),
        ];
        let html = select("payer_id", "Payer", &options, "b", &Errors::none(), true).into_string();
        assert!(
            html.contains(r#"<option value="b" selected>Blue</option>"#),
            "{html}"
        );
        assert!(!html.contains("Choose"));
    }
}
