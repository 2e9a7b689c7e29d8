export { reveal as default } from "./jury.js";
