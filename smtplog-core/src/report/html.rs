//! The HTML report: one self-contained page (inline CSS, no scripts, no external
//! resources) for the mail's HTML alternative and the ZIP attachment, readable on a
//! phone. It exists because a colour-coded table is quicker to read than plain text.
//!
//! Everything that comes from the store or the caller goes through [`escape`]: responses
//! are written by strangers' servers and recipients by the sender, so either may hold
//! markup. A Content-Security-Policy that allows no script is a second fence. Statuses
//! are shown by colour *and* by their name, so the page does not depend on colour vision.
//! On narrow screens the daily table scrolls sideways and each record becomes a card of
//! labelled fields.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::record::Status;
use crate::stats::Counts;

use super::labels::labels;
use super::text::{DATE_FORMAT, TIME_FORMAT};
use super::{Footer, Report, recipient_cell, response_message, status_label};

/// Escapes `s` for HTML text and quoted attribute values: `&`, `<`, `>`, `"` and `'`
/// become entities, and control characters other than tab, CR and LF become U+FFFD.
pub fn escape(s: &str) -> Cow<'_, str> {
    let needs = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\'')
            || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    };
    if !s.chars().any(needs) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if needs(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The page's style sheet. Status colours are paired with the status name in the cell.
const STYLE: &str = "\
*{box-sizing:border-box}
body{margin:0;padding:16px;font:15px/1.45 system-ui,-apple-system,'Segoe UI','Noto Sans CJK TC','Noto Sans TC','Microsoft JhengHei',sans-serif;color:#1b1f24;background:#f6f7f9}
main{max-width:1200px;margin:0 auto;background:#fff;padding:16px 20px;border:1px solid #d8dce1;border-radius:8px}
h1{font-size:1.3em;margin:0 0 12px}
h2{font-size:1.1em;margin:24px 0 8px;padding-bottom:4px;border-bottom:2px solid #d8dce1}
dl.head{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0}
dl.head dt{font-weight:600;color:#4a525c}
dl.head dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:.93em}
table.records{font-size:.86em}
th,td{border:1px solid #d8dce1;padding:4px 8px;vertical-align:top}
th{background:#eef1f4;text-align:left}
table.daily td{text-align:right;font-variant-numeric:tabular-nums}
table.daily td.d{text-align:left;white-space:nowrap}
table.daily td.z{color:#a0a7b0}
table.daily tfoot th,table.daily tfoot td{font-weight:700;background:#eef1f4}
table.records td.n{text-align:right}
table.records td.t,table.records td.q,table.records td.ip{white-space:nowrap;font-variant-numeric:tabular-nums}
table.records td.rc{overflow-wrap:break-word}
table.records tbody.rec{border-top:2px solid #b9c0c8}
table.records td.r{border-top:0;padding:2px 8px 6px 2.6em;overflow-wrap:anywhere;font-family:ui-monospace,'Noto Sans Mono CJK TC',monospace;font-size:.92em;color:#333b44}
table.records th.rh{font-weight:600;color:#4a525c;padding-left:2.6em}
table.records tbody.st-row-bounced td.r,table.records tbody.st-row-expired td.r{color:#7d1717}
.st{justify-self:start;display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;white-space:nowrap;border:1px solid}
.st-sent{background:#e3f4e8;color:#17602e;border-color:#8fcca1}
.st-deferred{background:#fff4d6;color:#7a5300;border-color:#e4c36b}
.st-bounced{background:#fde4e4;color:#9b1c1c;border-color:#eb9a9a}
.st-expired{background:#f2e3f7;color:#6b2380;border-color:#c99ad8}
.st-auth_rcv{background:#e2eefc;color:#1d4f91;border-color:#97bde9}
.st-auth_blk{background:#ececec;color:#3c3c3c;border-color:#b3b3b3}
td.hot{color:#9b1c1c;font-weight:700}
.empty{color:#4a525c;font-style:italic}
footer{margin-top:24px;padding-top:8px;border-top:1px solid #d8dce1;color:#4a525c;font-size:.9em}
footer p{margin:2px 0}
a{color:#1d4f91}
@media (max-width:700px){
body{padding:6px}
main{padding:10px}
table.records,table.records tbody,table.records tr,table.records td{display:block;width:100%}
table.records thead{display:none}
table.records tbody.rec{border:1px solid #d8dce1;border-radius:6px;margin:0 0 10px;padding:4px 0}
table.records td{border:0;padding:2px 8px;display:grid;grid-template-columns:8.5em 1fr;gap:8px}
table.records td.r{padding:2px 8px}
table.records td::before{content:attr(data-label);font-weight:600;color:#4a525c;font-family:system-ui,sans-serif;white-space:normal;overflow-wrap:normal}
table.records td.n{text-align:left}
}
";

/// Writes the HTML page.
pub fn render<W: Write + ?Sized>(report: &Report, footer: &Footer, out: &mut W) -> io::Result<()> {
    let h = &report.header;
    let l = labels(h.lang);
    let e = escape;
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"{}\">", h.lang.bcp47())?;
    writeln!(out, "<head>")?;
    writeln!(out, "<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    )?;
    writeln!(out, "<meta name=\"referrer\" content=\"no-referrer\">")?;
    writeln!(out, "<title>{} — {}</title>", e(l.title), e(&h.email))?;
    writeln!(out, "<style>\n{STYLE}</style>")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<main>")?;
    writeln!(out, "<h1>{}</h1>", e(l.title))?;

    let range = h.range_text();
    let generated = h.generated_text();
    writeln!(out, "<dl class=\"head\">")?;
    for (label, value) in [
        (l.email, h.email.as_str()),
        (l.date, range.as_str()),
        (l.client_ip, h.client_ip.as_str()),
        (l.language, h.lang.as_str()),
        (l.timezone, h.zone.name()),
        (l.generated, generated.as_str()),
    ] {
        writeln!(out, "<dt>{}</dt><dd>{}</dd>", e(label), e(value))?;
    }
    writeln!(out, "</dl>")?;

    // The daily table.
    writeln!(out, "<h2>{}</h2>", e(l.stats_title))?;
    writeln!(out, "<div class=\"scroll\"><table class=\"daily\">")?;
    write!(out, "<thead><tr><th>{}</th><th>{}</th>", e(l.day), e(l.sum))?;
    for s in Status::ALL {
        write!(out, "<th>{}</th>", e(status_label(s, h.lang)))?;
    }
    writeln!(out, "</tr></thead>")?;
    writeln!(out, "<tbody>")?;
    for d in &report.daily.days {
        write!(
            out,
            "<tr><td class=\"d\">{}</td>",
            d.date.format(DATE_FORMAT)
        )?;
        counts_cells(out, &d.counts, "td")?;
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>")?;
    write!(out, "<tfoot><tr><th>{}</th>", e(l.total))?;
    counts_cells(out, &report.daily.total, "td")?;
    writeln!(out, "</tr></tfoot>")?;
    writeln!(out, "</table></div>")?;

    // The detail table.
    writeln!(out, "<h2>{}</h2>", e(l.records_title))?;
    if report.rows.is_empty() {
        writeln!(out, "<p class=\"empty\">{}</p>", e(l.no_records))?;
    } else {
        // Each record is a <tbody> of two rows: its fields, then its response across the
        // whole width (responses are long; a column of their own would squeeze the rest).
        let heads = [
            l.no,
            l.sender_ip,
            l.smtp_relay,
            l.time,
            l.queue_id,
            l.recipient,
            l.status,
            l.dsn,
        ];
        let classes = ["n", "ip", "h", "t", "q", "rc", "s", "dsn"];
        writeln!(out, "<div class=\"scroll\"><table class=\"records\">")?;
        write!(out, "<thead><tr>")?;
        for head in heads {
            write!(out, "<th>{}</th>", e(head))?;
        }
        writeln!(
            out,
            "</tr><tr><th class=\"rh\" colspan=\"{}\">{}</th></tr></thead>",
            heads.len(),
            e(l.response)
        )?;
        for row in &report.rows {
            let r = &row.record;
            let status = format!("<span class=\"st st-{0}\">{0}</span>", r.status.as_str());
            let cells: [String; 8] = [
                row.no.to_string(),
                text_or_dash(r.sender_ip.as_deref()),
                text_or_dash(Some(&r.smtp_relay)),
                row.time.format(TIME_FORMAT).to_string(),
                text_or_dash(Some(&r.queue_id)),
                text_or_dash(recipient_cell(r).as_deref()),
                status,
                text_or_dash(r.dsn.as_deref()),
            ];
            write!(
                out,
                "<tbody class=\"rec st-row-{}\"><tr>",
                r.status.as_str()
            )?;
            for ((cell, head), class) in cells.iter().zip(heads).zip(classes) {
                write!(
                    out,
                    "<td class=\"{class}\" data-label=\"{}\">{cell}</td>",
                    e(head)
                )?;
            }
            match response_message(r) {
                Some(resp) => writeln!(
                    out,
                    "</tr><tr><td class=\"r\" colspan=\"{}\" data-label=\"{}\">{}</td></tr></tbody>",
                    heads.len(),
                    e(l.response),
                    e(&resp)
                )?,
                None => writeln!(out, "</tr></tbody>")?,
            }
        }
        writeln!(out, "</table></div>")?;
    }

    writeln!(out, "<footer>")?;
    for f in footer.lines(h.lang) {
        write!(out, "<p>{}", e(&f.text))?;
        if let Some(link) = &f.link {
            if is_safe_link(link) {
                write!(out, "<a href=\"{0}\">{0}</a>", e(link))?;
            } else {
                write!(out, "{}", e(link))?;
            }
        }
        writeln!(out, "{}</p>", e(f.after))?;
    }
    writeln!(out, "</footer>")?;
    writeln!(out, "</main>")?;
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")?;
    Ok(())
}

/// The escaped text, or a dash for nothing.
fn text_or_dash(v: Option<&str>) -> String {
    escape(v.unwrap_or("-")).into_owned()
}

/// The count cells of a row: Sum, then each status; zeros greyed, bounces and expiries
/// above zero in bold red.
fn counts_cells<W: Write + ?Sized>(out: &mut W, c: &Counts, tag: &str) -> io::Result<()> {
    let cell = |out: &mut W, n: u64, hot: bool| {
        let class = if n == 0 {
            " class=\"z\""
        } else if hot {
            " class=\"hot\""
        } else {
            ""
        };
        write!(out, "<{tag}{class}>{n}</{tag}>")
    };
    cell(out, c.sum(), false)?;
    for s in Status::ALL {
        cell(
            out,
            c.get(s),
            matches!(s, Status::Bounced | Status::Expired),
        )?;
    }
    Ok(())
}

/// Only web and mail links become anchors (a `javascript:` URL from a bad configuration
/// is shown as text).
fn is_safe_link(link: &str) -> bool {
    let lower = link.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_quotes_and_controls() {
        assert_eq!(escape("plain text 中文"), Cow::Borrowed("plain text 中文"));
        assert_eq!(
            escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("a & b \"c\""), "a &amp; b &quot;c&quot;");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape("a\u{0}b\u{1b}c\td\ne"), "a\u{FFFD}b\u{FFFD}c\td\ne");
    }

    #[test]
    fn only_web_and_mail_links_are_anchors() {
        assert!(is_safe_link("https://example.org/contact"));
        assert!(is_safe_link("MAILTO:help@example.org"));
        assert!(!is_safe_link("javascript:alert(1)"));
        assert!(!is_safe_link("data:text/html,x"));
    }
}
