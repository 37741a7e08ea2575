//! The SOAP 1.2 form of the CAQH CORE connectivity envelope (rule vC2.2.0, "SOAP+WSDL"; domain
//! reference §8a): writing and reading `COREEnvelopeRealTimeRequest` and
//! `COREEnvelopeRealTimeResponse`, a SOAP fault, and the WS-Security UsernameToken that carries
//! basic credentials in the SOAP header. Pure: no I/O; the X12 adapter and the mock payer both
//! use it.
//!
//! ```text
//! <soapenv:Envelope xmlns:soapenv="http://www.w3.org/2003/05/soap-envelope">
//!   <soapenv:Header>
//!     <wsse:Security xmlns:wsse="…oasis-200401-wss-wssecurity-secext-1.0.xsd">
//!       <wsse:UsernameToken>
//!         <wsse:Username>…</wsse:Username>
//!         <wsse:Password Type="…#PasswordText">…</wsse:Password>
//!       </wsse:UsernameToken>
//!     </wsse:Security>
//!   </soapenv:Header>
//!   <soapenv:Body>
//!     <cor:COREEnvelopeRealTimeRequest xmlns:cor="http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd">
//!       <PayloadType>X12_270_Request_005010X279A1</PayloadType> … <Payload>ISA*…</Payload>
//!     </cor:COREEnvelopeRealTimeRequest>
//!   </soapenv:Body>
//! </soapenv:Envelope>
//! ```
//!
//! The envelope's fields are the multipart form's, one child element each, unqualified as in the
//! rule's examples. Reading matches the fields by local name, qualified or not (toolkits generated
//! from the WSDL differ), and takes a `Payload` written as escaped text or as CDATA.

use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use secrecy::{ExposeSecret, SecretString};

pub const SOAP_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// SOAP 1.1's namespace: recognised only to say that CORE asks for 1.2.
const SOAP_11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const CORE_NS: &str = "http://www.caqh.org/SOAP/WSDL/CORERule2.2.0.xsd";
/// Every CORE rule version's WSDL namespace starts so; the version itself is `CORERuleVersion`'s
/// to say.
const CORE_NS_PREFIX: &str = "http://www.caqh.org/SOAP/WSDL/";
pub const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// The UsernameToken profile's password type for a password sent as it is (over TLS).
pub const PASSWORD_TEXT: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
/// The request's content type: SOAP 1.2 names the WSDL operation in `action`.
pub const CONTENT_TYPE: &str =
    "application/soap+xml; charset=utf-8; action=\"RealTimeTransaction\"";
/// What stands for the password in the copy of a request kept for the record.
pub const MASKED_PASSWORD: &str = "********";

/// Whether a `Content-Type` names a SOAP 1.2 message.
pub fn is_soap(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/soap+xml"))
}

/// The two real-time messages of the rule's WSDL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    RealTimeRequest,
    RealTimeResponse,
}

impl Message {
    pub fn element(self) -> &'static str {
        match self {
            Message::RealTimeRequest => "COREEnvelopeRealTimeRequest",
            Message::RealTimeResponse => "COREEnvelopeRealTimeResponse",
        }
    }

    fn from_element(name: &str) -> Option<Message> {
        [Message::RealTimeRequest, Message::RealTimeResponse]
            .into_iter()
            .find(|m| m.element() == name)
    }
}

/// A WS-Security UsernameToken: basic credentials in the SOAP header. Its `Debug` keeps the
/// password hidden.
#[derive(Debug, Clone)]
pub struct UsernameToken {
    pub username: String,
    pub password: SecretString,
    /// `false` when the password was sent as a digest (or another type we cannot check).
    pub password_text: bool,
}

impl UsernameToken {
    pub fn new(username: &str, password: &SecretString) -> UsernameToken {
        UsernameToken {
            username: username.to_string(),
            password: password.clone(),
            password_text: true,
        }
    }

    /// The same token with the password replaced by [`MASKED_PASSWORD`]: what the record keeps.
    pub fn masked(&self) -> UsernameToken {
        UsernameToken {
            password: SecretString::from(MASKED_PASSWORD),
            ..self.clone()
        }
    }

    /// Whether these are the credentials `username` and `password` (a digest never matches).
    pub fn matches(&self, username: &str, password: &str) -> bool {
        self.password_text && self.username == username && self.password.expose_secret() == password
    }
}

/// A CORE real-time envelope read from SOAP.
#[derive(Debug, Clone)]
pub struct CoreSoap {
    pub message: Message,
    /// The envelope's fields in document order, by local name.
    pub fields: Vec<(String, String)>,
    pub token: Option<UsernameToken>,
}

impl CoreSoap {
    /// The first field of that name.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A SOAP 1.2 fault (`env:Fault`): who is at fault, why, in the sender's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// `Sender`, `Receiver`, `MustUnderstand`, `VersionMismatch` or `DataEncodingUnknown`,
    /// without its prefix.
    pub code: String,
    /// The first subcode's local name (e.g. WS-Security's `FailedAuthentication`).
    pub subcode: Option<String>,
    pub reason: String,
}

impl Fault {
    /// The message itself was at fault (SOAP 1.2 §5.4.6): sending it again changes nothing.
    pub fn is_senders(&self) -> bool {
        self.code == "Sender"
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SOAP fault {}", self.code)?;
        if let Some(subcode) = &self.subcode {
            write!(f, "/{subcode}")?;
        }
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

/// A SOAP message as read.
#[derive(Debug, Clone)]
pub enum Soap {
    Envelope(CoreSoap),
    Fault(Fault),
}

/// Text for an XML element or attribute value. `\r` is written as a character reference: XML
/// readers turn a literal CR into LF (XML 1.0 §2.11), which would change an X12 interchange
/// whose segments end in CR.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

fn open_envelope(xml: &mut String) {
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!("<soapenv:Envelope xmlns:soapenv=\"{SOAP_NS}\">\n"));
}

/// A CORE real-time envelope with `fields` in the given order, and `token` in a WS-Security
/// header when there is one. Field names are the rule's element names.
pub fn write(message: Message, fields: &[(&str, &str)], token: Option<&UsernameToken>) -> String {
    let payload_len: usize = fields.iter().map(|(_, v)| v.len()).sum();
    let mut xml = String::with_capacity(payload_len + 1024);
    open_envelope(&mut xml);
    if let Some(token) = token {
        xml.push_str("<soapenv:Header>\n");
        xml.push_str(&format!("<wsse:Security xmlns:wsse=\"{WSSE_NS}\">\n"));
        xml.push_str("<wsse:UsernameToken>\n");
        xml.push_str(&format!(
            "<wsse:Username>{}</wsse:Username>\n",
            escape(&token.username)
        ));
        xml.push_str(&format!(
            "<wsse:Password Type=\"{PASSWORD_TEXT}\">{}</wsse:Password>\n",
            escape(token.password.expose_secret())
        ));
        xml.push_str("</wsse:UsernameToken>\n</wsse:Security>\n</soapenv:Header>\n");
    }
    xml.push_str("<soapenv:Body>\n");
    let element = message.element();
    xml.push_str(&format!("<cor:{element} xmlns:cor=\"{CORE_NS}\">\n"));
    for (name, value) in fields {
        xml.push_str(&format!("<{name}>{}</{name}>\n", escape(value)));
    }
    xml.push_str(&format!(
        "</cor:{element}>\n</soapenv:Body>\n</soapenv:Envelope>\n"
    ));
    xml
}

/// A SOAP 1.2 fault with a code (`Sender` or `Receiver`), an optional WS-Security subcode
/// (`FailedAuthentication`, …) and a reason.
pub fn write_fault(code: &str, wsse_subcode: Option<&str>, reason: &str) -> String {
    let mut xml = String::with_capacity(1024);
    open_envelope(&mut xml);
    xml.push_str("<soapenv:Body>\n<soapenv:Fault>\n<soapenv:Code>\n");
    xml.push_str(&format!(
        "<soapenv:Value>soapenv:{}</soapenv:Value>\n",
        escape(code)
    ));
    if let Some(subcode) = wsse_subcode {
        xml.push_str(&format!(
            "<soapenv:Subcode><soapenv:Value xmlns:wsse=\"{WSSE_NS}\">wsse:{}</soapenv:Value>\
             </soapenv:Subcode>\n",
            escape(subcode)
        ));
    }
    xml.push_str("</soapenv:Code>\n<soapenv:Reason>\n");
    xml.push_str(&format!(
        "<soapenv:Text xml:lang=\"en\">{}</soapenv:Text>\n",
        escape(reason)
    ));
    xml.push_str("</soapenv:Reason>\n</soapenv:Fault>\n</soapenv:Body>\n</soapenv:Envelope>\n");
    xml
}

/// One piece of an element's content.
#[derive(Debug)]
enum Piece {
    Text(String),
    CData(String),
}

/// An element of the document: just what reading a SOAP message needs.
#[derive(Debug)]
struct Element {
    namespace: Option<String>,
    name: String,
    /// Attributes by local name, values unescaped.
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    content: Vec<Piece>,
}

impl Element {
    fn new(namespace: ResolveResult, start: &BytesStart) -> Result<Element, String> {
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let namespace = match namespace {
            ResolveResult::Bound(ns) => Some(String::from_utf8_lossy(ns.as_ref()).into_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(prefix) => {
                return Err(format!(
                    "undeclared namespace prefix {} on {name}",
                    String::from_utf8_lossy(&prefix)
                ))
            }
        };
        let mut attributes = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| format!("bad attribute on {name}: {e}"))?;
            let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
            let value = attribute
                .unescape_value()
                .map_err(|e| format!("bad attribute {key} on {name}: {e}"))?
                .into_owned();
            attributes.push((key, value));
        }
        Ok(Element {
            namespace,
            name,
            attributes,
            children: Vec::new(),
            content: Vec::new(),
        })
    }

    fn is(&self, namespace: &str, name: &str) -> bool {
        self.name == name && self.namespace.as_deref() == Some(namespace)
    }

    fn child(&self, namespace: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(namespace, name))
    }

    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The element's text. Where it holds a CDATA section, whitespace-only text around it is
    /// layout (`<Payload>\n<![CDATA[ISA…]]>\n</Payload>`), not content.
    fn text(&self) -> String {
        let cdata = self.content.iter().any(|p| matches!(p, Piece::CData(_)));
        self.content
            .iter()
            .filter_map(|piece| match piece {
                Piece::CData(text) => Some(text.as_str()),
                Piece::Text(text) if cdata && text.trim().is_empty() => None,
                Piece::Text(text) => Some(text.as_str()),
            })
            .collect()
    }
}

/// Parses a whole document into its root element.
fn document(xml: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(xml);
    let mut open: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = match reader.read_resolved_event() {
            Ok(event) => event,
            Err(e) => {
                let at = reader.error_position();
                return Err(format!("not well-formed XML near byte {at}: {e}"));
            }
        };
        let closed = match event {
            (ns, Event::Start(start)) => {
                open.push(Element::new(ns, &start)?);
                None
            }
            (ns, Event::Empty(start)) => Some(Element::new(ns, &start)?),
            (_, Event::End(_)) => open.pop(),
            (_, Event::Text(text)) => {
                let text = text
                    .unescape()
                    .map_err(|e| format!("bad text in the XML: {e}"))?;
                match open.last_mut() {
                    Some(element) => element.content.push(Piece::Text(text.into_owned())),
                    None if text.trim().is_empty() => {}
                    None => return Err("not well-formed XML: text outside the root element".into()),
                }
                None
            }
            (_, Event::CData(data)) => {
                let text = String::from_utf8(data.into_inner().into_owned())
                    .map_err(|_| "a CDATA section is not UTF-8".to_string())?;
                match open.last_mut() {
                    Some(element) => element.content.push(Piece::CData(text)),
                    None => {
                        return Err("not well-formed XML: CDATA outside the root element".into())
                    }
                }
                None
            }
            (_, Event::Eof) => break,
            // The declaration, comments, processing instructions: nothing to read. A DOCTYPE's
            // entities are never expanded (an unknown entity fails `unescape`).
            _ => None,
        };
        if let Some(element) = closed {
            match open.last_mut() {
                Some(parent) => parent.children.push(element),
                None if root.is_none() => root = Some(element),
                None => return Err("not well-formed XML: more than one root element".into()),
            }
        }
    }
    if let Some(element) = open.last() {
        return Err(format!(
            "not well-formed XML: it ends inside {}",
            element.name
        ));
    }
    root.ok_or_else(|| "not well-formed XML: no element".to_string())
}

fn fault(element: &Element) -> Fault {
    let local = |qname: String| match qname.rsplit_once(':') {
        Some((_, local)) => local.trim().to_string(),
        None => qname.trim().to_string(),
    };
    let code = element.child(SOAP_NS, "Code");
    let value = |e: Option<&Element>| {
        e.and_then(|e| e.child(SOAP_NS, "Value"))
            .map(|v| local(v.text()))
    };
    let subcode = code.and_then(|c| c.child(SOAP_NS, "Subcode"));
    // Reason holds one Text per language; the first is the sender's own.
    let reason = element
        .child(SOAP_NS, "Reason")
        .and_then(|r| r.child(SOAP_NS, "Text"))
        .map(|t| t.text().trim().to_string())
        .unwrap_or_default();
    Fault {
        code: value(code).unwrap_or_else(|| "Receiver".into()),
        subcode: value(subcode),
        reason,
    }
}

fn username_token(header: Option<&Element>) -> Option<UsernameToken> {
    let token = header?
        .child(WSSE_NS, "Security")?
        .child(WSSE_NS, "UsernameToken")?;
    let username = token.child(WSSE_NS, "Username")?.text().trim().to_string();
    let password = token.child(WSSE_NS, "Password")?;
    // The profile's default type is PasswordText.
    let password_text = password
        .attribute("Type")
        .is_none_or(|kind| kind == PASSWORD_TEXT);
    Some(UsernameToken {
        username,
        password: SecretString::from(password.text()),
        password_text,
    })
}

/// Reads a SOAP 1.2 message: a CORE real-time envelope (with the UsernameToken of its header,
/// if any) or a fault. Metadata fields are trimmed (pretty-printers indent them); the `Payload`
/// is kept as sent. The error says why the body is not one.
pub fn read(body: &[u8]) -> Result<Soap, String> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let xml = std::str::from_utf8(body).map_err(|_| "the SOAP message is not UTF-8".to_string())?;
    let root = document(xml)?;
    if root.name != "Envelope" || root.namespace.as_deref() != Some(SOAP_NS) {
        return Err(if root.namespace.as_deref() == Some(SOAP_11_NS) {
            "a SOAP 1.1 envelope: CORE asks for SOAP 1.2".into()
        } else {
            format!(
                "not a SOAP 1.2 envelope (the root element is {})",
                root.name
            )
        });
    }
    let body = root
        .child(SOAP_NS, "Body")
        .ok_or_else(|| "the SOAP envelope has no Body".to_string())?;
    let content = body
        .children
        .first()
        .ok_or_else(|| "the SOAP Body is empty".to_string())?;
    if content.is(SOAP_NS, "Fault") {
        return Ok(Soap::Fault(fault(content)));
    }
    let message = Message::from_element(&content.name)
        .filter(|_| {
            content
                .namespace
                .as_deref()
                .is_some_and(|ns| ns.starts_with(CORE_NS_PREFIX))
        })
        .ok_or_else(|| {
            format!(
                "the SOAP Body holds {}, not a CORE real-time envelope",
                content.name
            )
        })?;
    let mut fields = Vec::with_capacity(content.children.len());
    for field in &content.children {
        if !field.children.is_empty() {
            return Err(format!("the CORE field {} holds elements", field.name));
        }
        let text = field.text();
        let value = if field.name == "Payload" {
            text
        } else {
            text.trim().to_string()
        };
        fields.push((field.name.clone(), value));
    }
    Ok(Soap::Envelope(CoreSoap {
        message,
        fields,
        token: username_token(root.child(SOAP_NS, "Header")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const X12: &str = "ISA*00*          *00*          *ZZ*CLINIC01       *ZZ*84980          \
                       *261122*0930*^*00501*000000042*0*P*:~NM1*1P*2*SMITH & JONES <BH>*****XX*1234567893~IEA*1*000000042~";

    fn token() -> UsernameToken {
        UsernameToken::new("clinic01", &SecretString::from("s3cret<&'\">"))
    }

    fn request(payload: &str, token: Option<&UsernameToken>) -> String {
        write(
            Message::RealTimeRequest,
            &[
                ("PayloadType", "X12_270_Request_005010X279A1"),
                ("ProcessingMode", "RealTime"),
                ("PayloadID", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
                ("TimeStamp", "2026-11-22T09:30:00Z"),
                ("SenderID", "CLINIC01"),
                ("ReceiverID", "84980"),
                ("CORERuleVersion", "2.2.0"),
                ("Payload", payload),
            ],
            token,
        )
    }

    fn envelope(xml: &str) -> CoreSoap {
        match read(xml.as_bytes()) {
            Ok(Soap::Envelope(envelope)) => envelope,
            other => panic!("not an envelope: {other:?}\n{xml}"),
        }
    }

    #[test]
    fn a_request_reads_back_field_for_field_with_its_token() {
        let xml = request(X12, Some(&token()));
        let read = envelope(&xml);
        assert_eq!(read.message, Message::RealTimeRequest);
        let names: Vec<_> = read.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "PayloadType",
                "ProcessingMode",
                "PayloadID",
                "TimeStamp",
                "SenderID",
                "ReceiverID",
                "CORERuleVersion",
                "Payload"
            ]
        );
        assert_eq!(read.field("ReceiverID"), Some("84980"));
        assert_eq!(read.field("Payload"), Some(X12));
        let token = read.token.expect("the UsernameToken");
        assert_eq!(token.username, "clinic01");
        assert!(token.matches("clinic01", "s3cret<&'\">"));
        assert!(!token.matches("clinic01", "password"));
    }

    #[test]
    fn ampersands_and_angle_brackets_in_the_x12_are_escaped_not_lost() {
        let xml = request(X12, None);
        assert!(xml.contains("SMITH &amp; JONES &lt;BH&gt;"), "{xml}");
        assert!(!xml.contains("JONES <BH>"), "{xml}");
        assert_eq!(envelope(&xml).field("Payload"), Some(X12));
        // Segments ending in CR LF keep their CR.
        let crlf = X12.replace('~', "~\r\n");
        assert_eq!(
            envelope(&request(&crlf, None)).field("Payload"),
            Some(crlf.as_str())
        );
    }

    #[test]
    fn a_payload_in_cdata_is_read_as_it_is() {
        // As several CORE clients write it: qualified fields, the payload in CDATA on its own
        // line, a default namespace on the CORE element.
        let xml = format!(
            "\u{feff}<?xml version=\"1.0\"?>\n<env:Envelope xmlns:env=\"{SOAP_NS}\"><env:Body>\n\
             <COREEnvelopeRealTimeResponse xmlns=\"{CORE_NS}\">\n\
             <PayloadType>\n  X12_271_Response_005010X279A1\n</PayloadType>\n\
             <ErrorCode>Success</ErrorCode><ErrorMessage/>\n\
             <Payload>\n<![CDATA[{X12}]]>\n</Payload>\n\
             </COREEnvelopeRealTimeResponse></env:Body></env:Envelope>"
        );
        let read = envelope(&xml);
        assert_eq!(read.message, Message::RealTimeResponse);
        assert_eq!(
            read.field("PayloadType"),
            Some("X12_271_Response_005010X279A1")
        );
        assert_eq!(read.field("ErrorMessage"), Some(""));
        assert_eq!(read.field("Payload"), Some(X12));
        assert!(read.token.is_none());
    }

    #[test]
    fn a_fault_gives_its_code_subcode_and_reason() {
        let xml = write_fault(
            "Sender",
            Some("FailedAuthentication"),
            "The security token could not be authenticated",
        );
        match read(xml.as_bytes()) {
            Ok(Soap::Fault(fault)) => {
                assert!(fault.is_senders());
                assert_eq!(
                    fault.to_string(),
                    "SOAP fault Sender/FailedAuthentication: The security token could not be \
                     authenticated"
                );
            }
            other => panic!("not a fault: {other:?}"),
        }
        let receiver = write_fault("Receiver", None, "back end down");
        let Ok(Soap::Fault(fault)) = read(receiver.as_bytes()) else {
            panic!("not a fault")
        };
        assert!(!fault.is_senders());
        assert_eq!(fault.to_string(), "SOAP fault Receiver: back end down");
    }

    #[test]
    fn the_password_is_in_the_header_only_and_never_in_the_record_or_debug() {
        let token = token();
        let sent = request(X12, Some(&token));
        let header = &sent[..sent.find("<soapenv:Body>").unwrap()];
        assert!(header.contains("s3cret&lt;&amp;&apos;&quot;&gt;"), "{sent}");
        assert!(
            header.contains(&format!("Type=\"{PASSWORD_TEXT}\"")),
            "{sent}"
        );
        let record = request(X12, Some(&token.masked()));
        assert!(!record.contains("s3cret"), "{record}");
        assert!(record.contains(&format!(">{MASKED_PASSWORD}</wsse:Password>")));
        assert_eq!(envelope(&record).token.unwrap().username, "clinic01");
        let debug = format!("{token:?} {:?}", envelope(&sent));
        assert!(!debug.contains("s3cret"), "{debug}");
    }

    #[test]
    fn a_digest_password_never_matches() {
        let xml = request(X12, Some(&token())).replace("#PasswordText", "#PasswordDigest");
        let token = envelope(&xml).token.unwrap();
        assert!(!token.matches("clinic01", "s3cret<&'\">"));
    }

    #[test]
    fn what_is_not_a_core_soap_envelope_says_why() {
        let refused = |xml: &str| read(xml.as_bytes()).unwrap_err();
        assert!(
            refused("ISA*00*~").contains("not well-formed"),
            "{}",
            refused("ISA*00*~")
        );
        assert!(refused("<a><b></a>").contains("not well-formed"));
        let whole = request(X12, None);
        let cut = refused(&whole[..whole.find("</Payload>").unwrap()]);
        assert!(cut.contains("not well-formed"), "{cut}");
        assert_eq!(
            refused(&request(X12, None).replace(SOAP_NS, SOAP_11_NS)),
            "a SOAP 1.1 envelope: CORE asks for SOAP 1.2"
        );
        assert!(refused("<html><body>Gateway</body></html>").contains("root element is html"));
        let other = format!(
            "<e:Envelope xmlns:e=\"{SOAP_NS}\"><e:Body><Ping xmlns=\"urn:x\"/></e:Body></e:Envelope>"
        );
        assert!(
            refused(&other).contains("holds Ping"),
            "{}",
            refused(&other)
        );
        let bad_entity = request("ISA&nbsp;", None);
        assert!(refused(&bad_entity.replace("&amp;nbsp;", "&nbsp;")).contains("bad text"));
        assert!(read(b"\xff\xfe<x/>").unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn only_soap_content_types_are_soap() {
        assert!(is_soap(CONTENT_TYPE));
        assert!(is_soap("Application/SOAP+XML"));
        assert!(!is_soap("multipart/form-data; boundary=x"));
        assert!(!is_soap("text/xml; charset=utf-8"));
    }
}
