// backprop-bench site: sortable tables, and the selectors that filter a sweep's charts.
// The charts themselves are plotly.js; this only sorts rows and restyles traces' visibility.
"use strict";

function sortTable(table, column, th) {
  const ascending = th.getAttribute("aria-sort") !== "ascending";
  for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  const key = (row) => {
    const cell = row.cells[column];
    const text = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    const number = Number(text);
    return text === "" ? null : Number.isNaN(number) ? text : number;
  };
  const rows = Array.from(table.tBodies[0].rows);
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === y) return 0;
    if (x === null) return 1;  // empty cells last, either way
    if (y === null) return -1;
    const order = typeof x === typeof y ? (x < y ? -1 : 1) : (typeof x === "number" ? -1 : 1);
    return ascending ? order : -order;
  });
  for (const row of rows) table.tBodies[0].appendChild(row);
}

function filterCharts(section) {
  const wanted = {};
  for (const select of section.querySelectorAll("select[data-filter]")) {
    wanted[select.dataset.filter] = select.value;
  }
  for (const chart of section.querySelectorAll(".js-plotly-plot")) {
    const visible = chart.data.map((trace) => {
      const meta = trace.meta || {};
      return Object.entries(wanted).every(
        ([field, value]) => value === "" || meta[field] === undefined || meta[field] === value
      );
    });
    Plotly.restyle(chart, { visible: visible });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const table of document.querySelectorAll("table.sortable")) {
    Array.from(table.tHead.rows[0].cells).forEach((th, column) => {
      th.tabIndex = 0;
      th.addEventListener("click", () => sortTable(table, column, th));
      th.addEventListener("keydown", (event) => {
        if (event.key === "Enter") sortTable(table, column, th);
      });
    });
  }
  for (const select of document.querySelectorAll("select[data-filter]")) {
    select.addEventListener("change", () => filterCharts(select.closest("section")));
  }
});
