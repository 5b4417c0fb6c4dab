import { describe, expect, it } from "vitest";
import { renderTemplate, templateVariables } from "./render";

describe("renderTemplate", () => {
  it("fills dotted placeholders, tolerating spaces inside the braces", () => {
    expect(
      renderTemplate("Hi {{contact.name}}, I'm {{ agent.name }}. Ticket #{{ticket.number}}.", {
        "contact.name": "Maria",
        "agent.name": "Ana",
        "ticket.number": 42,
      }),
    ).toBe("Hi Maria, I'm Ana. Ticket #42.");
  });

  it("renders missing, null and undefined values as empty text", () => {
    expect(renderTemplate("[{{a}}|{{b}}|{{c}}|{{d.e}}]", { b: null, c: undefined })).toBe("[|||]");
  });

  it("repeats a value for every occurrence and renders zero", () => {
    expect(renderTemplate("{{n}}-{{n}}", { n: 0 })).toBe("0-0");
  });

  it("leaves text that is not a placeholder alone", () => {
    const body = "{{ }} {{1abc}} {single} {{a-b}} {{ contact. }}";
    expect(renderTemplate(body, { "1abc": "x", "a-b": "y" })).toBe(body);
  });

  it("does not read inherited object properties", () => {
    expect(renderTemplate("{{constructor}}{{toString}}", {})).toBe("");
  });

  it("inserts values literally, even ones that look like replacement patterns or placeholders", () => {
    expect(renderTemplate("{{a}} {{b}}", { a: "$& $1 $$", b: "{{a}}" })).toBe("$& $1 $$ {{a}}");
  });
});

describe("templateVariables", () => {
  it("lists distinct placeholders in order of first appearance", () => {
    expect(templateVariables("{{ticket.number}} {{contact.name}} {{ ticket.number }} {{agent.name}}")).toEqual([
      "ticket.number",
      "contact.name",
      "agent.name",
    ]);
  });

  it("is empty for a body without placeholders", () => {
    expect(templateVariables("Thanks for waiting!")).toEqual([]);
  });
});
