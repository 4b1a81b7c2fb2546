//! What a browser would send for a form of a server-rendered page, read from
//! its HTML. Shared by the integration tests and the load scenario
//! (`examples/load_journey.rs`, which includes this file with `#[path]`).

/// The values a browser would send for the last form of a page: text inputs,
/// checked radios and checkboxes, selected options and textareas.
pub fn prefilled(html: &str) -> Vec<(String, String)> {
    let form_start = html.rfind("<form method=\"post\"").unwrap_or(0);
    let form = &html[form_start
        ..html[form_start..]
            .find("</form>")
            .map_or(html.len(), |e| form_start + e)];
    let mut out = Vec::new();
    for tag in form.split('<').skip(1) {
        let attr = |name: &str| {
            let key = format!(" {name}=\"");
            tag.find(&key).map(|i| {
                let rest = &tag[i + key.len()..];
                html_unescape(&rest[..rest.find('"').unwrap()])
            })
        };
        if tag.starts_with("input") {
            let kind = attr("type").unwrap_or_default();
            let Some(name) = attr("name") else { continue };
            let value = attr("value").unwrap_or_default();
            let checked = tag.contains(" checked");
            match kind.as_str() {
                "radio" | "checkbox" if !checked => {}
                "file" => {}
                _ => out.push((name, value)),
            }
        } else if tag.starts_with("select") {
            let name = attr("name").unwrap();
            let rest = &form[form.find(tag).unwrap()..];
            let select = &rest[..rest.find("</select>").unwrap()];
            let value = select
                .split("<option")
                .find(|o| o.contains(" selected"))
                .and_then(|o| o.split("value=\"").nth(1))
                .map(|v| html_unescape(&v[..v.find('"').unwrap()]))
                .unwrap_or_default();
            out.push((name, value));
        } else if tag.starts_with("textarea") {
            let name = attr("name").unwrap();
            let body = &tag[tag.find('>').unwrap() + 1..];
            out.push((name, html_unescape(body)));
        }
    }
    out
}

/// The last form's values as [`prefilled`], with every radio question left
/// unanswered answered by its first choice: what a person does who keeps
/// what is proposed and picks the first option where nothing is.
#[allow(dead_code)] // examples/load_journey includes this file without using it
pub fn prefilled_or_first(html: &str) -> Vec<(String, String)> {
    let mut out = prefilled(html);
    let form = &html[html.rfind("<form method=\"post\"").unwrap_or(0)..];
    for tag in form.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if !tag.contains("type=\"radio\"") {
            continue;
        }
        let attr = |name: &str| {
            let key = format!(" {name}=\"");
            tag.find(&key).map(|i| {
                let rest = &tag[i + key.len()..];
                html_unescape(&rest[..rest.find('"').unwrap()])
            })
        };
        let (Some(name), Some(value)) = (attr("name"), attr("value")) else {
            continue;
        };
        if !out.iter().any(|(k, _)| *k == name) {
            out.push((name, value));
        }
    }
    out
}

pub fn html_unescape(s: &str) -> String {
    s.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
}
