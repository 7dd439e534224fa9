//! A PDF document of same-sized pages, each drawn as one content stream with the two
//! Helvetica faces of [`Font`] at hand.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, TextStr};

use crate::text::Font;

/// What the document says about itself: the catalog's language, the document information.
#[derive(Debug, Clone, Copy, Default)]
pub struct Info<'a> {
    /// The natural language of the text (`/Lang`, e.g. `fr`), for screen readers.
    pub lang: Option<&'a str>,
    /// `/Title`, which viewers show instead of the file name.
    pub title: Option<&'a str>,
    /// `/Creator`: the application (or shop) that made the document.
    pub creator: Option<&'a str>,
}

/// A PDF being written: pages are added in order, [`Document::finish`] writes the catalog and
/// the page tree and gives the file's bytes.
///
/// Every page has the same media box and the fonts Helvetica (`/F1`) and Helvetica-Bold
/// (`/F2`) in WinAnsi encoding (see [`crate::text`]).
pub struct Document {
    pdf: Pdf,
    catalog: Ref,
    tree: Ref,
    fonts: [(Font, Ref); 2],
    next: i32,
    pages: Vec<Ref>,
    media_box: Rect,
}

impl Document {
    /// An empty document whose pages are `width` × `height` points (A4 is 595 × 842, A5 is
    /// 420 × 595).
    pub fn new(width: f32, height: f32) -> Document {
        let mut pdf = Pdf::new();
        let fonts = [(Font::Regular, Ref::new(3)), (Font::Bold, Ref::new(4))];
        for (font, id) in fonts {
            pdf.type1_font(id)
                .base_font(font.base_font())
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        Document {
            pdf,
            catalog: Ref::new(1),
            tree: Ref::new(2),
            fonts,
            next: 5,
            pages: Vec::new(),
            media_box: Rect::new(0.0, 0.0, width, height),
        }
    }

    fn alloc(&mut self) -> Ref {
        let r = Ref::new(self.next);
        self.next += 1;
        r
    }

    /// Adds a page drawn by `content`.
    pub fn add_page(&mut self, content: Content) {
        let page_id = self.alloc();
        let content_id = self.alloc();
        let mut page = self.pdf.page(page_id);
        page.media_box(self.media_box);
        page.parent(self.tree);
        page.contents(content_id);
        {
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            for (font, id) in self.fonts {
                fonts.pair(font.name(), id);
            }
        }
        page.finish();
        self.pdf.stream(content_id, &content.finish());
        self.pages.push(page_id);
    }

    /// The pages added so far.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The PDF file, without document information.
    pub fn finish(self) -> Vec<u8> {
        self.finish_with(&Info::default())
    }

    /// The PDF file, with the language and document information of `info`.
    pub fn finish_with(mut self, info: &Info<'_>) -> Vec<u8> {
        let info_id = (info.title.is_some() || info.creator.is_some()).then(|| self.alloc());
        let mut catalog = self.pdf.catalog(self.catalog);
        catalog.pages(self.tree);
        if let Some(lang) = info.lang {
            catalog.lang(TextStr(lang));
        }
        catalog.finish();
        if let Some(id) = info_id {
            let mut doc_info = self.pdf.document_info(id);
            if let Some(title) = info.title {
                doc_info.title(TextStr(title));
            }
            if let Some(creator) = info.creator {
                doc_info.creator(TextStr(creator));
            }
        }
        self.pdf
            .pages(self.tree)
            .kids(self.pages.iter().copied())
            .count(self.pages.len() as i32);
        self.pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Logo, Qr, Rgb};

    /// The text shown on each page (WinAnsi bytes as Latin-1) and the marked-content tags.
    fn read(pdf: &[u8]) -> (lopdf::Document, Vec<(String, Vec<String>)>) {
        let doc = lopdf::Document::load_mem(pdf).expect("the PDF parses");
        let mut pages = Vec::new();
        for (_, page_id) in doc.get_pages() {
            let content = doc.get_page_content(page_id);
            let ops = lopdf::content::Content::decode(&content)
                .unwrap()
                .operations;
            let (mut text, mut tags) = (String::new(), Vec::new());
            for op in ops {
                match op.operator.as_str() {
                    "Tj" => {
                        let bytes = op.operands[0].as_str().unwrap();
                        text.extend(bytes.iter().map(|b| *b as char));
                        text.push('\n');
                    }
                    "BMC" => {
                        tags.push(String::from_utf8_lossy(op.operands[0].as_name().unwrap()).into())
                    }
                    _ => {}
                }
            }
            pages.push((text, tags));
        }
        (doc, pages)
    }

    /// The `/QR` block's modules of one page, rasterised (4 px a module, quiet zone included)
    /// and decoded.
    fn decode_qr(doc: &lopdf::Document, page_id: lopdf::ObjectId) -> String {
        let content = doc.get_page_content(page_id);
        let ops = lopdf::content::Content::decode(&content)
            .unwrap()
            .operations;
        let (mut inside, mut rects) = (false, Vec::new());
        for op in ops {
            match op.operator.as_str() {
                "BMC" => inside = op.operands[0].as_name().unwrap() == b"QR",
                "EMC" => inside = false,
                "re" if inside => {
                    let n: Vec<f32> = op.operands.iter().map(|o| o.as_float().unwrap()).collect();
                    rects.push((n[0], n[1], n[2]));
                }
                _ => {}
            }
        }
        let module = rects[0].2;
        let min_x = rects.iter().map(|r| r.0).fold(f32::MAX, f32::min);
        let min_y = rects.iter().map(|r| r.1).fold(f32::MAX, f32::min);
        let max_x = rects.iter().map(|r| r.0).fold(f32::MIN, f32::max);
        let max_y = rects.iter().map(|r| r.1).fold(f32::MIN, f32::max);
        let n = ((max_x - min_x) / module).round() as usize + 1;
        let rows = ((max_y - min_y) / module).round() as usize + 1;
        let scale = 4;
        let size = (n.max(rows) + 8) * scale;
        let mut dark = vec![false; size * size];
        for (x, y, _) in &rects {
            let mx = ((x - min_x) / module).round() as usize + 4;
            let my = rows - 1 - ((y - min_y) / module).round() as usize + 4;
            for dy in 0..scale {
                for dx in 0..scale {
                    dark[(my * scale + dy) * size + mx * scale + dx] = true;
                }
            }
        }
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| {
            if dark[y * size + x] {
                0
            } else {
                255
            }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code");
        grids[0].decode().expect("the QR code decodes").1
    }

    #[test]
    fn a_rendered_document_loads_with_its_pages_text_qr_codes_and_info() {
        let logo = Logo::parse(include_str!("../../public/brands/cube.svg")).unwrap();
        let barcodes = ["10000000000000000017", "10000000000000000025"];
        let mut doc = Document::new(420.0, 595.0);
        for (i, barcode) in barcodes.iter().enumerate() {
            let mut c = Content::new();
            Rgb::hex("#1d4f91").unwrap().fill(&mut c);
            c.rect(0.0, 499.0, 420.0, 96.0).fill_nonzero();
            logo.draw(&mut c, 28.0, 519.0, 56.0);
            Rgb::WHITE.fill(&mut c);
            crate::text::show(&mut c, Font::Bold, 18.0, 98.0, 540.0, "Théâtre – CUBE");
            Rgb::BLACK.fill(&mut c);
            crate::text::show(
                &mut c,
                Font::Regular,
                12.0,
                28.0,
                450.0,
                &format!("Ticket {i}"),
            );
            let qr = Qr::new(barcode).unwrap();
            let module = qr.module_for(170.0);
            let x0 = (420.0 - qr.side(module)) / 2.0;
            qr.draw_quiet_zone(&mut c, x0, 150.0, module);
            qr.draw(&mut c, x0, 150.0, module);
            doc.add_page(c);
        }
        assert_eq!(doc.page_count(), 2);
        let pdf = doc.finish_with(&Info {
            lang: Some("fr"),
            title: Some("E-billets – commande 42"),
            creator: Some("CUBE"),
        });
        assert!(pdf.starts_with(b"%PDF-"));

        let (loaded, pages) = read(&pdf);
        assert_eq!(pages.len(), 2);
        for (i, (text, tags)) in pages.iter().enumerate() {
            // WinAnsi: é, â as in Latin-1, the en dash at 0x96
            assert_eq!(
                text,
                &format!("Th\u{e9}\u{e2}tre \u{96} CUBE\nTicket {i}\n")
            );
            assert_eq!(tags, &["Logo", "QR"]);
        }
        for ((_, page_id), barcode) in loaded.get_pages().into_iter().zip(barcodes) {
            assert_eq!(decode_qr(&loaded, page_id), barcode);
            let page = loaded.get_dictionary(page_id).unwrap();
            let media_box: Vec<f32> = page
                .get(b"MediaBox")
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_float().unwrap())
                .collect();
            assert_eq!(media_box, [0.0, 0.0, 420.0, 595.0]);
            let fonts = loaded.get_page_fonts(page_id).unwrap();
            let base = |name: &[u8]| fonts[name].get(b"BaseFont").unwrap().as_name().unwrap();
            assert_eq!(base(b"F1"), b"Helvetica");
            assert_eq!(base(b"F2"), b"Helvetica-Bold");
        }

        let catalog = loaded.catalog().unwrap();
        assert_eq!(catalog.get(b"Lang").unwrap().as_str().unwrap(), b"fr");
        let info_ref = loaded.trailer.get(b"Info").unwrap().as_reference().unwrap();
        let info = loaded.get_dictionary(info_ref).unwrap();
        assert_eq!(info.get(b"Creator").unwrap().as_str().unwrap(), b"CUBE");
    }

    #[test]
    fn without_info_there_is_no_info_dictionary() {
        let mut doc = Document::new(595.0, 842.0);
        doc.add_page(Content::new());
        let pdf = doc.finish();
        let loaded = lopdf::Document::load_mem(&pdf).unwrap();
        assert_eq!(loaded.get_pages().len(), 1);
        assert!(loaded.trailer.get(b"Info").is_err());
        assert!(loaded.catalog().unwrap().get(b"Lang").is_err());
    }
}
