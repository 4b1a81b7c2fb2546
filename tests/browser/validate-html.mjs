// Validates HTML documents with html-validate, for the Rust browser tests
// (tests/it/valid_html.rs): one long-lived process per test browser.
//
// Protocol: each line on stdin is a JSON string (one whole document); for
// each, one line on stdout: a JSON array of problems, each
// "rule (line:column): message" ([] when the document is valid).
import { createInterface } from "node:readline";
import { HtmlValidate, StaticConfigLoader } from "html-validate";
import config from "./htmlvalidate.config.mjs";

const validator = new HtmlValidate(new StaticConfigLoader(config));
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  let problems;
  try {
    const report = await validator.validateString(JSON.parse(line), "page.html");
    problems = report.results.flatMap((result) =>
      result.messages.map((m) => `${m.ruleId} (${m.line}:${m.column}): ${m.message}`),
    );
  } catch (error) {
    problems = [`html-validate failed: ${error}`];
  }
  process.stdout.write(JSON.stringify(problems) + "\n");
}
