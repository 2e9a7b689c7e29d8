export { create as default } from "./jury.js";
