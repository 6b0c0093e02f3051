//! The XML of pushes, read into the same JSON object model as JSON pushes, with limits.
//!
//! A push is one `<xml>` element of flat fields or small nested groups. Anything else that XML
//! allows is refused: a DOCTYPE (and so every entity declaration and entity expansion),
//! undefined entity references, processing instructions, nesting deeper than [`MAX_DEPTH`],
//! more than [`MAX_ELEMENTS`] elements. Leaf text is kept exactly (CDATA included), since a
//! `Payload` is signed as received; a repeated element becomes an array.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event as XmlEvent;
use quick_xml::reader::Reader;
use serde_json::{Map, Value};

use crate::error::Malformed;

/// The deepest element nesting accepted (`<xml>` is depth 1).
pub(crate) const MAX_DEPTH: usize = 8;
/// The most elements accepted in one document.
pub(crate) const MAX_ELEMENTS: usize = 1024;

struct Frame {
    name: String,
    fields: Map<String, Value>,
    text: String,
    has_children: bool,
}

impl Frame {
    fn new(name: String) -> Self {
        Self { name, fields: Map::new(), text: String::new(), has_children: false }
    }

    fn into_value(self) -> (String, Value) {
        let value = if self.has_children { Value::Object(self.fields) } else { Value::String(self.text) };
        (self.name, value)
    }
}

fn insert(fields: &mut Map<String, Value>, name: String, value: Value) {
    match fields.get_mut(&name) {
        Some(Value::Array(items)) => items.push(value),
        Some(first) => {
            let first = first.take();
            fields.insert(name, Value::Array(vec![first, value]));
        }
        None => {
            fields.insert(name, value);
        }
    }
}

/// Reads an `<xml>` document into the object of its children.
pub(crate) fn parse(text: &str) -> Result<Map<String, Value>, Malformed> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Map<String, Value>> = None;
    let mut elements = 0usize;
    loop {
        let event = reader.read_event().map_err(|_| Malformed::Xml)?;
        match event {
            XmlEvent::DocType(_) => return Err(Malformed::XmlDoctype),
            XmlEvent::PI(_) => return Err(Malformed::Xml),
            XmlEvent::Decl(_) | XmlEvent::Comment(_) => {}
            XmlEvent::Start(_) | XmlEvent::Empty(_) if root.is_some() => return Err(Malformed::Xml),
            XmlEvent::Start(start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(Malformed::XmlSize(MAX_ELEMENTS));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(Malformed::XmlDepth(MAX_DEPTH));
                }
                let name = String::from_utf8(start.name().as_ref().to_vec()).map_err(|_| Malformed::Xml)?;
                if let Some(parent) = stack.last_mut() {
                    parent.has_children = true;
                }
                stack.push(Frame::new(name));
            }
            XmlEvent::Empty(start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(Malformed::XmlSize(MAX_ELEMENTS));
                }
                let name = String::from_utf8(start.name().as_ref().to_vec()).map_err(|_| Malformed::Xml)?;
                match stack.last_mut() {
                    Some(parent) => {
                        parent.has_children = true;
                        insert(&mut parent.fields, name, Value::String(String::new()));
                    }
                    None if name == "xml" => root = Some(Map::new()),
                    None => return Err(Malformed::Xml),
                }
            }
            XmlEvent::Text(text) => {
                let text = text.decode().map_err(|_| Malformed::Xml)?;
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(Malformed::Xml),
                }
            }
            XmlEvent::CData(data) => {
                let data = data.decode().map_err(|_| Malformed::Xml)?;
                stack.last_mut().ok_or(Malformed::Xml)?.text.push_str(&data);
            }
            XmlEvent::GeneralRef(reference) => {
                let frame = stack.last_mut().ok_or(Malformed::Xml)?;
                if reference.is_char_ref() {
                    let c = reference.resolve_char_ref().ok().flatten().ok_or(Malformed::Xml)?;
                    frame.text.push(c);
                } else {
                    let name = reference.decode().map_err(|_| Malformed::Xml)?;
                    frame.text.push_str(resolve_predefined_entity(&name).ok_or(Malformed::XmlEntity)?);
                }
            }
            XmlEvent::End(_) => {
                let (name, value) = stack.pop().ok_or(Malformed::Xml)?.into_value();
                match stack.last_mut() {
                    Some(parent) => insert(&mut parent.fields, name, value),
                    None if name == "xml" => {
                        root = Some(match value {
                            Value::Object(fields) => fields,
                            _ => Map::new(),
                        });
                    }
                    None => return Err(Malformed::Xml),
                }
            }
            XmlEvent::Eof => break,
        }
    }
    match (root, stack.is_empty()) {
        (Some(root), true) => Ok(root),
        _ => Err(Malformed::Xml),
    }
}

/// Appends `text` as CDATA, splitting any `]]>` so the section cannot be closed early.
pub(crate) fn push_cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    out.push_str(&text.replace("]]>", "]]]]><![CDATA[>"));
    out.push_str("]]>");
}

/// Appends `<name><![CDATA[text]]></name>`.
pub(crate) fn push_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_cdata(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}
