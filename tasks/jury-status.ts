export { status as default } from "./jury.js";
