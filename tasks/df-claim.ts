export { claimTask as default } from "./deepfunding.js";
