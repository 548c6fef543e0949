//! Every word a report shows, in each language, in one place, so the text, HTML and CSV
//! forms say the same thing and a translation is one edit. `zh_TW` labels put the
//! Chinese and the English side by side as the mail of the service smtplog models does; `en` labels are English
//! only.

use crate::record::Status;

use super::{Footer, FooterLine, Lang};

/// The labels of one language.
pub(crate) struct Labels {
    pub(crate) title: &'static str,
    pub(crate) email: &'static str,
    pub(crate) date: &'static str,
    pub(crate) client_ip: &'static str,
    pub(crate) language: &'static str,
    pub(crate) timezone: &'static str,
    pub(crate) generated: &'static str,
    /// Between a header label and its value.
    pub(crate) colon: &'static str,
    /// Before and after the "to" of a date range: `{begin}{to}{end}{range_end}`.
    pub(crate) to: &'static str,
    pub(crate) range_end: &'static str,
    pub(crate) stats_title: &'static str,
    pub(crate) records_title: &'static str,
    pub(crate) no_records: &'static str,
    pub(crate) day: &'static str,
    pub(crate) sum: &'static str,
    pub(crate) total: &'static str,
    pub(crate) no: &'static str,
    pub(crate) sender_ip: &'static str,
    pub(crate) smtp_relay: &'static str,
    pub(crate) time: &'static str,
    pub(crate) queue_id: &'static str,
    pub(crate) recipient: &'static str,
    pub(crate) status: &'static str,
    pub(crate) dsn: &'static str,
    pub(crate) response: &'static str,
    pub(crate) sasl_user: &'static str,
    pub(crate) orig_recipient: &'static str,
    pub(crate) relay: &'static str,
    pub(crate) delay: &'static str,
}

const ZH_TW: Labels = Labels {
    title: "寄信紀錄查詢系統 SMTP Log Query System",
    email: "查詢信箱(Email)",
    date: "時間範圍(Date)",
    client_ip: "查詢來源(Client IP)",
    language: "語系(Language)",
    timezone: "時區(Time Zone)",
    generated: "產生時間(Generated)",
    colon: "：",
    to: " 至 ",
    range_end: " 的寄信紀錄",
    stats_title: "信件寄送統計 Sending Statistics",
    records_title: "信件寄送記錄 Sending Records",
    no_records: "此期間沒有寄信紀錄 (No records in this period.)",
    day: "日期 Date",
    sum: "總和 Sum",
    total: "總計 Total",
    no: "項次 No.",
    sender_ip: "寄件者 IP Sender IP",
    smtp_relay: "中繼 SMTP SMTP Relay",
    time: "時間 Time",
    queue_id: "編號 ID",
    recipient: "收件者 Recipient",
    status: "狀態 Status",
    dsn: "DSN",
    response: "回應訊息 Response Message",
    sasl_user: "驗證帳號 SASL User",
    orig_recipient: "原收件者 Original Recipient",
    relay: "對方主機 Remote Relay",
    delay: "耗時(秒) Delay (s)",
};

const EN: Labels = Labels {
    title: "SMTP Log Query System",
    email: "Email",
    date: "Date",
    client_ip: "Client IP",
    language: "Language",
    timezone: "Time zone",
    generated: "Generated",
    colon: ": ",
    to: " to ",
    range_end: "",
    stats_title: "Sending statistics",
    records_title: "Sending records",
    no_records: "No records in this period.",
    day: "Date",
    sum: "Sum",
    total: "Total",
    no: "No.",
    sender_ip: "Sender IP",
    smtp_relay: "SMTP Relay",
    time: "Time",
    queue_id: "ID",
    recipient: "Recipient",
    status: "Status",
    dsn: "DSN",
    response: "Response Message",
    sasl_user: "SASL User",
    orig_recipient: "Original Recipient",
    relay: "Remote Relay",
    delay: "Delay (s)",
};

/// The labels of `lang`.
pub(crate) fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::ZhTw => &ZH_TW,
        Lang::En => &EN,
    }
}

/// The daily table's column heading of `status` in `lang` (`退信 Bounced`, `Bounced`).
pub fn status_label(status: Status, lang: Lang) -> &'static str {
    match (lang, status) {
        (_, Status::AuthBlk) => "Auth_blk",
        (_, Status::AuthRcv) => "Auth_rcv",
        (Lang::ZhTw, Status::Bounced) => "退信 Bounced",
        (Lang::ZhTw, Status::Deferred) => "延遲 Deferred",
        (Lang::ZhTw, Status::Expired) => "逾期 Expired",
        (Lang::ZhTw, Status::Sent) => "成功寄出 Sent",
        (Lang::En, Status::Bounced) => "Bounced",
        (Lang::En, Status::Deferred) => "Deferred",
        (Lang::En, Status::Expired) => "Expired",
        (Lang::En, Status::Sent) => "Sent",
    }
}

/// The footer's lines (see [`Footer::lines`]).
pub(crate) fn footer_lines(f: &Footer, lang: Lang) -> Vec<FooterLine> {
    let line = |text: String, link: Option<&String>, after: &'static str| FooterLine {
        text,
        link: link.cloned(),
        after: if link.is_some() { after } else { "" },
    };
    let mut out = Vec::new();
    match lang {
        Lang::ZhTw => {
            let name = f.service_name.as_deref().unwrap_or("寄信紀錄查詢系統");
            out.push(line(
                format!("本信係由「{name}」自動寄出，請勿直接回信"),
                None,
                "",
            ));
            out.push(match &f.contact_url {
                Some(url) => line(
                    "查詢結果僅供參考，如有疑問請聯絡本中心(".into(),
                    Some(url),
                    ")",
                ),
                None => line("查詢結果僅供參考，如有疑問請聯絡本中心。".into(), None, ""),
            });
            if let Some(url) = &f.query_url {
                out.push(line(
                    format!("{name}(SMTP Log Query System)："),
                    Some(url),
                    "",
                ));
            }
            if let Some(url) = &f.help_url {
                out.push(line("服務說明：".into(), Some(url), ""));
            }
        }
        Lang::En => {
            let name = f.service_name.as_deref().unwrap_or("SMTP Log Query System");
            out.push(line(
                format!(
                    "This mail was sent automatically by the {name}; please do not reply to it."
                ),
                None,
                "",
            ));
            out.push(match &f.contact_url {
                Some(url) => line(
                    "The results are for reference only; if you have questions, please contact us (".into(),
                    Some(url),
                    ").",
                ),
                None => line(
                    "The results are for reference only; if you have questions, please contact your mail administrators.".into(),
                    None,
                    "",
                ),
            });
            if let Some(url) = &f.query_url {
                out.push(line(format!("{name}: "), Some(url), ""));
            }
            if let Some(url) = &f.help_url {
                out.push(line("About this service: ".into(), Some(url), ""));
            }
        }
    }
    out
}
