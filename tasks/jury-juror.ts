export { juror as default } from "./jury.js";
