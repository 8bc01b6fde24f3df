// Parses Logseq pages with Logseq's own parser, mldoc, and prints what the tests check, as JSON:
// per file, the first block's properties (or null), and per block its level, marker, page references,
// the kinds of its inline elements and how many properties it has. Usage: node parse.js < files.json
const fs = require("fs");
const { Mldoc } = require("mldoc");

const config = JSON.stringify({
  toc: false, parse_outline_only: false, heading_number: false, keep_line_break: true,
  format: "Markdown", heading_to_list: false, exporting_keep_properties: true,
  inline_type_with_pos: false, export_md_remove_options: [], hiccup_in_block: true,
});

function pageRefs(inline, refs = []) {
  for (const item of inline || []) {
    if (item[0] === "Link" && item[1].url[0] === "Page_ref") refs.push(item[1].url[1]);
    else if (Array.isArray(item[1])) pageRefs(item[1], refs);
  }
  return refs;
}

const result = {};
for (const file of JSON.parse(fs.readFileSync(0, "utf8"))) {
  try {
    const blocks = JSON.parse(Mldoc.parseJson(fs.readFileSync(file, "utf8"), config));
    const first = blocks[0] && blocks[0][0];
    const properties = first && first[0] === "Property_Drawer" ? first[1].map(([key, value]) => [key, value]) : null;
    const headings = blocks.filter(([block]) => block[0] === "Heading").map(([block]) => block[1]);
    result[file] = {
      properties,
      blocks: headings.map((h) => ({
        level: h.level,
        marker: h.marker || null,
        refs: pageRefs(h.title),
        inline: (h.title || []).map((item) => (item[0] === "Link" ? `Link:${item[1].url[0]}` : item[0])),
        properties: h.meta.properties.length,
      })),
    };
  } catch (error) {
    result[file] = { error: String(error) };
  }
}
process.stdout.write(JSON.stringify(result));
