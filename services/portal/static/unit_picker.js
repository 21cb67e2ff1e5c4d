// Progressive enhancement of the unit picker: choosing a province or a district loads the next
// list at once (the form goes back with action=units, as the "Load" button does without JS).
document.querySelectorAll("[data-unit-picker]").forEach((picker) => {
  const load = picker.querySelector("button.load-units");
  for (const name of ["unit.province", "unit.district"]) {
    const select = picker.querySelector(`select[name="${name}"]`);
    if (select) select.addEventListener("change", () => load.click());
  }
  load.hidden = true;
});
