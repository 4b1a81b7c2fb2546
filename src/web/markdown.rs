//! The school's texts for families (welcome, help of each step): Markdown,
//! rendered to HTML and sanitised. HTML typed in the text is shown as text
//! (never passed through), the result goes through `ammonia` (only harmless
//! tags, links to http(s) and mailto only), and it is a value of the page,
//! never a template: `{{ … }}` or `{% … %}` are shown as typed.

use pulldown_cmark::{Event, Options, Parser, html};

/// `text` as safe HTML, for a template's `|safe`.
pub fn to_safe_html(text: &str) -> String {
    let parser = Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
        // Typed HTML is text: shown, not interpreted.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, parser);
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("noopener noreferrer"))
        .clean(&out)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered() {
        let html = to_safe_html("**Bienvenue** au collège\n\n- un\n- deux");
        assert!(html.contains("<strong>Bienvenue</strong>"), "{html}");
        assert!(html.contains("<li>deux</li>"), "{html}");
    }

    #[test]
    fn html_and_template_syntax_are_shown_as_text() {
        let html = to_safe_html("<script>alert(1)</script> {{ 7*7 }} {% if x %}");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("{{ 7*7 }}"), "{html}");
        assert!(html.contains("{% if x %}"), "{html}");
    }

    #[test]
    fn dangerous_links_are_removed() {
        let html = to_safe_html("[clic](javascript:alert(1)) [site](https://example.fr)");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("href=\"https://example.fr\""), "{html}");
    }
}
