export { stake as default } from "./jury.js";
