//! XML answers and faults. Escaping is quick-xml's, never ours.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::borrow::Cow;
use std::fmt::Display;

/// Every XML answer starts with this line.
const DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Whether a character may appear in an XML 1.0 document (its `Char`
/// production): not a C0 control but tab and line breaks, not U+FFFE or U+FFFF.
pub fn is_xml_char(c: char) -> bool {
    !matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}')
}

/// Text as an XML 1.0 document may hold it: any character it may not hold
/// (sent in a path or a parameter name, say) becomes U+FFFD, so every answer
/// parses whatever the request carried.
pub fn xml_text(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().map(|c| if is_xml_char(c) { c } else { char::REPLACEMENT_CHARACTER }).collect())
    }
}

/// An XML document being written.
pub struct Doc {
    writer: Writer<Vec<u8>>,
    /// Where values are formatted before they are escaped, reused.
    scratch: String,
}

impl Default for Doc {
    fn default() -> Self {
        Self::new()
    }
}

impl Doc {
    /// A document holding only the declaration and its line break.
    pub fn new() -> Doc {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(DECLARATION);
        Doc { writer: Writer::new(buf), scratch: String::new() }
    }

    fn event(&mut self, event: Event<'_>) {
        // Writing into a Vec cannot fail.
        let _ = self.writer.write_event(event);
    }

    /// Starts an element; finish it with [`Element::empty`] or [`Element::open`].
    pub fn element<'d>(&'d mut self, name: &'static str) -> Element<'d> {
        // Room for a few attributes, so that adding them does not reallocate.
        let mut content = String::with_capacity(96);
        content.push_str(name);
        Element { doc: self, start: BytesStart::from_content(content, name.len()) }
    }

    /// `<name>text</name>`.
    pub fn text_element(&mut self, name: &'static str, text: impl Display) -> &mut Self {
        self.event(Event::Start(BytesStart::new(name)));
        self.event(Event::Text(BytesText::new(&xml_text(&text.to_string()))));
        self.event(Event::End(BytesEnd::new(name)));
        self
    }

    /// `</name>`.
    pub fn close(&mut self, name: &'static str) -> &mut Self {
        self.event(Event::End(BytesEnd::new(name)));
        self
    }

    /// A line break between elements, as the documents print them.
    pub fn newline(&mut self) -> &mut Self {
        self.writer.get_mut().push(b'\n');
        self
    }

    /// The finished bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut buf = self.writer.into_inner();
        buf.push(b'\n');
        buf
    }
}

/// An element whose attributes are being added.
pub struct Element<'d> {
    doc: &'d mut Doc,
    start: BytesStart<'static>,
}

impl<'d> Element<'d> {
    /// Adds an attribute; the value is escaped.
    pub fn attr(mut self, name: &str, value: impl Display) -> Self {
        use std::fmt::Write;
        let mut text = std::mem::take(&mut self.doc.scratch);
        text.clear();
        // Formatting into a String cannot fail.
        let _ = write!(text, "{value}");
        self.start.push_attribute((name, xml_text(&text).as_ref()));
        self.doc.scratch = text;
        self
    }

    /// Writes `<name …/>`.
    pub fn empty(self) -> &'d mut Doc {
        self.doc.event(Event::Empty(self.start));
        self.doc
    }

    /// Writes `<name …>`, to be closed with [`Doc::close`].
    pub fn open(self) -> &'d mut Doc {
        self.doc.event(Event::Start(self.start));
        self.doc
    }
}

/// A document whose root is `<name>text</name>` (`<reboot>true</reboot>`).
pub fn simple(name: &'static str, text: impl Display) -> Vec<u8> {
    let mut doc = Doc::new();
    doc.text_element(name, text);
    doc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let mut doc = Doc::new();
        doc.element("osd").attr("title_utf8", "<a&'\">").empty();
        let s = String::from_utf8(doc.finish()).unwrap();
        assert_eq!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<osd title_utf8=\"&lt;a&amp;&apos;&quot;&gt;\"/>\n");
    }

    #[test]
    fn characters_xml_cannot_hold_are_replaced() {
        let mut doc = Doc::new();
        doc.element("a").attr("t", "x\u{ffff}\u{1}y").open().text_element("b", "\u{fffe}\u{1b}[31m\t").close("a");
        let s = String::from_utf8(doc.finish()).unwrap();
        assert_eq!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a t=\"x\u{fffd}\u{fffd}y\"><b>\u{fffd}\u{fffd}[31m\t</b></a>\n");
    }
}
