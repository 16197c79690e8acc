// Number formatting shared by RESULTS.md sections.

export function times(value) {
  return `${number(value, 2)}×`;
}

export function signed(fraction) {
  return `${fraction >= 0 ? "+" : ""}${number(fraction * 100, 0)} %`;
}

export function ms(value) {
  return `${number(value, 2)} ms`;
}

export function number(value, digits) {
  return Number.isFinite(value) ? value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : String(value);
}

export function count(value) {
  return value.toLocaleString("en-US");
}
