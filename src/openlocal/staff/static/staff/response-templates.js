// Response templates in the workspace's status form. Without JavaScript each template is a
// link that reloads the workspace with its words in the message box. With it, choosing a
// template fills the box at once (and chooses the template's status, if it has one), and the
// list offers the templates that fit the status chosen in the form.

const box = document.querySelector("[data-response-templates]");
const form = box && box.closest("form");

if (box && form) {
  const select = form.querySelector("select[name=status]");
  const message = form.querySelector("textarea[name=message]");
  const fitting = box.querySelector("[data-templates-fitting]");
  const others = box.querySelector("[data-templates-others]");
  const othersBox = box.querySelector("[data-templates-others-box]");
  const none = box.querySelector("[data-templates-none]");
  const announce = box.querySelector("[data-templates-announce]");

  const arrange = () => {
    const status = select ? select.value : "";
    const items = [...box.querySelectorAll("li[data-status]")];
    for (const item of items) {
      const fits = !item.dataset.status || item.dataset.status === status;
      (fits ? fitting : others).appendChild(item);
    }
    none.hidden = fitting.children.length > 0;
    othersBox.hidden = others.children.length === 0;
  };

  box.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-template-text]");
    if (!link || !message) {
      return;
    }
    event.preventDefault();
    message.value = link.dataset.templateText;
    if (link.dataset.templateStatus && select) {
      select.value = link.dataset.templateStatus;
      arrange();
    }
    announce.textContent = `The template “${link.textContent}” is in the public message. Check it before publishing.`;
    message.focus();
  });

  if (select) {
    select.addEventListener("change", arrange);
  }
  // The status may have been changed before this script ran (it runs once the page has
  // loaded): arrange the list for the status chosen now.
  arrange();
}
