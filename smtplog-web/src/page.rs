//! The pages: the form (alone, or under a refusal's message), the accepted page and the
//! style sheet. Every text that came from a request or the configuration is escaped.

use chrono::NaiveDate;
use smtplog_core::report::Lang;

/// `text` safe inside HTML text and double-quoted attributes (the reports' escaping:
/// markup and quotes as entities, control characters as U+FFFD).
pub(crate) fn escape(text: &str) -> String {
    smtplog_core::report::html::escape(text).into_owned()
}

/// The style sheet (`/style.css`).
pub(crate) const STYLE: &str = "\
body{font-family:system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:1rem;line-height:1.5;color:#222}
h1{font-size:1.4rem}
label{display:block;font-weight:600;margin-top:.9rem}
input{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}
.rule{font-size:.9rem;color:#555;margin:.2rem 0 0}
.captcha img{display:block;margin:.4rem 0;max-width:100%;height:auto}
button{margin-top:1.2rem;font-size:1rem;padding:.5rem 1.2rem}
.error{border-left:4px solid #b00;background:#fee;padding:.6rem}
.ok{border-left:4px solid #070;background:#efe;padding:.6rem}
.warning{border:2px solid #b60;background:#ffd;padding:.6rem;font-weight:600}
nav{text-align:right;font-size:.9rem}
";

/// What a form shows.
#[derive(Debug)]
pub(crate) struct FormPage<'a> {
    pub(crate) lang: Lang,
    pub(crate) email: &'a str,
    pub(crate) begin: &'a str,
    pub(crate) end: &'a str,
    pub(crate) captcha_id: &'a str,
    pub(crate) token: &'a str,
    pub(crate) allowed_domains: &'a [String],
    pub(crate) max_range_days: u32,
    pub(crate) fixed_captcha: bool,
    /// A refusal's message, shown above the form.
    pub(crate) error: Option<&'a str>,
}

fn t(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    if matches!(lang, Lang::En) { en } else { zh }
}

fn head(lang: Lang, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/style.css\"></head><body>\n",
        lang.bcp47(),
        escape(title)
    )
}

fn title(lang: Lang) -> &'static str {
    t(lang, "寄信紀錄查詢", "Mail sending history")
}

/// The form page.
pub(crate) fn form(p: &FormPage<'_>) -> String {
    let lang = p.lang;
    let mut out = head(lang, title(lang));
    out.push_str(&format!(
        "<nav><a href=\"/?lang=zh_TW\" lang=\"zh-Hant-TW\">中文</a> · <a href=\"/?lang=en\" lang=\"en\">English</a></nav>\n<h1>{}</h1>\n",
        title(lang)
    ));
    if p.fixed_captcha {
        out.push_str(&format!(
            "<p class=\"warning\" role=\"alert\">{}</p>\n",
            t(
                lang,
                "警告：unsafe_fixed_captcha 已開啟，每個驗證碼的答案都相同（僅供測試）。",
                "Warning: unsafe_fixed_captcha is on: every captcha has the same answer (tests only)."
            )
        ));
    }
    if let Some(error) = p.error {
        out.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape(error)
        ));
    }
    out.push_str(&format!(
        "<p>{}</p>\n",
        t(
            lang,
            "輸入您的信箱與日期範圍，寄信紀錄報表將寄到該信箱（只寄給該信箱）。",
            "Enter your address and a date range: the report of the mail you sent is mailed to that address (and nobody else)."
        )
    ));
    let domains = p
        .allowed_domains
        .iter()
        .map(|d| escape(d))
        .collect::<Vec<_>>()
        .join(", ");
    let id = escape(p.captcha_id);
    out.push_str("<form method=\"post\" action=\"/submit\">\n");
    out.push_str(&format!(
        "<label for=\"email\">{}</label>\
         <input id=\"email\" name=\"email\" type=\"email\" required autocomplete=\"email\" value=\"{}\">\
         <p class=\"rule\">{} {}</p>\n",
        t(lang, "信箱", "Address"),
        escape(p.email),
        t(
            lang,
            "只限本校網域的完整信箱：",
            "Full addresses of the campus domains only:"
        ),
        domains
    ));
    out.push_str(&format!(
        "<label for=\"begin\">{}</label>\
         <input id=\"begin\" name=\"begin\" type=\"date\" required value=\"{}\">\n\
         <label for=\"end\">{}</label>\
         <input id=\"end\" name=\"end\" type=\"date\" required value=\"{}\">\
         <p class=\"rule\">{}</p>\n",
        t(lang, "開始日期", "First day"),
        escape(p.begin),
        t(lang, "結束日期", "Last day"),
        escape(p.end),
        if matches!(lang, Lang::En) {
            format!("YYYY-MM-DD; at most {} days at once.", p.max_range_days)
        } else {
            format!("YYYY-MM-DD；一次最多 {} 天。", p.max_range_days)
        }
    ));
    out.push_str(&format!(
        "<div class=\"captcha\"><label for=\"captcha\">{}</label>\
         <img src=\"/captcha/{id}.svg\" alt=\"{}\" width=\"180\" height=\"60\">\
         <a href=\"/captcha/{id}.wav\">{}</a>\
         <input id=\"captcha\" name=\"captcha\" type=\"text\" inputmode=\"numeric\" required autocomplete=\"off\">\
         <p class=\"rule\">{}</p></div>\n",
        t(lang, "驗證碼", "Verification code"),
        t(
            lang,
            "驗證碼圖片：五個數字",
            "Verification code image: five digits"
        ),
        t(lang, "聽取驗證碼", "Listen to the code"),
        t(
            lang,
            "驗證碼只能使用一次，並會逾時。",
            "Each code can be used once, and expires."
        )
    ));
    out.push_str(&format!(
        "<input type=\"hidden\" name=\"captcha_id\" value=\"{id}\">\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <input type=\"hidden\" name=\"lang\" value=\"{}\">\n\
         <button type=\"submit\">{}</button>\n</form>\n</body></html>\n",
        escape(p.token),
        lang.as_str(),
        t(lang, "寄出報表", "Mail me the report")
    ));
    out
}

/// The page of an accepted submission: where the report goes, nothing of the logs.
pub(crate) fn accepted(lang: Lang, to: &str, begin: NaiveDate, end: NaiveDate) -> String {
    let mut out = head(lang, title(lang));
    out.push_str(&format!("<h1>{}</h1>\n", title(lang)));
    let to = escape(to);
    let text = if matches!(lang, Lang::En) {
        format!(
            "The report of {begin} to {end} is being mailed to <strong>{to}</strong>. \
             When it arrives depends on its size; large reports come as a ZIP attachment."
        )
    } else {
        format!(
            "{begin} 至 {end} 的報表正寄送至 <strong>{to}</strong>。\
             送達時間視報表大小而定；較大的報表會以 ZIP 附件寄送。"
        )
    };
    out.push_str(&format!(
        "<p class=\"ok\" role=\"status\">{text}</p>\n<p><a href=\"/?lang={}\">{}</a></p>\n</body></html>\n",
        lang.as_str(),
        t(lang, "再查詢一次", "Another query")
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_from_outside_is_escaped() {
        assert_eq!(
            escape("<script>alert('1')</script>&\""),
            "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&amp;&quot;"
        );
        let domains = ["a<b>.edu".to_string()];
        let page = form(&FormPage {
            lang: Lang::En,
            email: "<script>alert(1)</script>@x",
            begin: "\"><img>",
            end: "",
            captcha_id: "id",
            token: "tok",
            allowed_domains: &domains,
            max_range_days: 31,
            fixed_captcha: true,
            error: Some("<b>"),
        });
        assert!(!page.contains("<script>") && !page.contains("<img>") && !page.contains("<b>"));
        assert!(page.contains("unsafe_fixed_captcha is on"));
        let ok = accepted(
            Lang::ZhTw,
            "<x>@y",
            NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2024, 3, 2).unwrap(),
        );
        assert!(ok.contains("&lt;x&gt;@y") && ok.contains("ZIP"));
    }
}
